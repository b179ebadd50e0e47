"""The `keras-gans` command line.

```
keras-gans run RECIPE.toml [--backend B] [--set key.path=value ...]
                           [--output DIR] [--resume] [--devices N|all|A,B]
keras-gans sample RUN_DIR_OR_MODEL -n 64 -o grid.png [--seed S] [--labels ...]
                  [--truncation T] [--outdir DIR --format png|npz]
keras-gans export RUN_DIR_OR_MODEL --format keras|saved_model|onnx|tflite
                  [-o PATH]
keras-gans interpolate RUN_DIR_OR_MODEL --frames 60 --points 4 -o walk.gif
keras-gans evaluate RUN_DIR_OR_MODEL [--metrics fid,kid,pr,dc,memorization]
                    [--features NAME] [-n N]
keras-gans compare RUN_A RUN_B ... [-o DIR] [-n N] [--seed S] [--features NAME]
keras-gans list architectures|losses|penalties|datasets|metrics|features|callbacks|augmentations
keras-gans plugins [--json]
keras-gans check-data RECIPE.toml [--set ...] [--json]
keras-gans new-plugin NAME [--directory D]
keras-gans schema [-o FILE]
```

One module per command (`run`, `sample`, `evaluate`, `catalogue` for
`list` and `plugins`, `new_plugin`, `schema`, `export`, `interpolate`),
plus `backend` (choosing the backend before Keras is imported: no module
here imports Keras, or `runs` and `evaluation` code that needs it, at
module level), `completion`
(shell completion of `--set`) and `errors`, the one mapping from library
exceptions to messages and exit codes: 0 success; 1 a user error that is
not about the recipe (a missing checkpoint, an existing run directory, a
failed download); 2 a usage error or an invalid recipe (every problem
listed, with its path); 3 `check-data` found something in the data; 130
interrupted.
"""

import click

from keras_gans import __version__
from keras_gans.cli.backend import backend_option
from keras_gans.cli.catalogue import list_command
from keras_gans.cli.catalogue import plugins_command
from keras_gans.cli.check_data import check_data_command
from keras_gans.cli.compare import compare_command
from keras_gans.cli.evaluate import evaluate_command
from keras_gans.cli.export import export_command
from keras_gans.cli.interpolate import interpolate_command
from keras_gans.cli.new_plugin import new_plugin_command
from keras_gans.cli.prepare_data import prepare_data_command
from keras_gans.cli.run import run_command
from keras_gans.cli.sample import sample_command
from keras_gans.cli.schema import schema_command

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keras-gans",
                      message="%(prog)s %(version)s")
@backend_option
@click.pass_context
def main(ctx, backend):
    """Train and sample GANs with Keras 3 (TensorFlow, JAX or PyTorch).

    Start with `keras-gans run recipes/dcgan.toml`.
    """
    ctx.obj = {"backend": backend}


for _command in (run_command, sample_command, evaluate_command,
                 list_command, plugins_command, new_plugin_command,
                 prepare_data_command, schema_command, export_command,
                 interpolate_command, compare_command, check_data_command):
    main.add_command(_command)
