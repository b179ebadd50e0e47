"""Writing TensorBoard logs needs neither TensorFlow nor the `tensorboard`
package: a process that cannot import them (off the TensorFlow backend,
TensorFlow; on every backend, `tensorboard`) still writes event files that
TensorBoard's own reader, in this process, reads back."""

import os
import subprocess
import sys

import keras

from paths import REPO
BACKEND = keras.backend.backend()


def blocking_path(directory, names):
    """A folder of packages that raise ImportError when imported: first on
    PYTHONPATH, they hide the installed ones (while `find_spec` still finds
    a file, as some libraries probe for packages that way)."""
    for name in names:
        package = directory / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            f"raise ImportError('{name} is hidden in this test')\n")
    return str(directory)


def test_events_are_written_without_the_tensorboard_package(tmp_path):
    hidden = ["tensorboard"] + ([] if BACKEND == "tensorflow"
                                else ["tensorflow"])
    code = (
        "import sys, numpy as np, keras, keras_gans\n"
        "from keras_gans.training.callbacks import TensorBoard\n"
        "from toy_models import mlp\n"
        "gan = keras_gans.GAN(mlp(2, 2, 8), mlp(2, 1, 8), latent_dim=2)\n"
        "gan.compile(g_optimizer='adam', d_optimizer='adam', ema=0.9)\n"
        "gan.fit(np.zeros((16, 2), 'float32'), batch_size=4, epochs=2,\n"
        "        verbose=0, callbacks=[TensorBoard('LOGS',\n"
        "        every=2, images_every=4, recipe={'train': {'seed': 5}})])\n"
        "print('tensorboard' in sys.modules)\n"
    )
    env = dict(os.environ, KERAS_BACKEND=BACKEND, PYTHONPATH=os.pathsep.join(
        [blocking_path(tmp_path / "hidden", hidden), REPO,
         os.path.join(REPO, "tests"), os.environ.get("PYTHONPATH", "")]))
    logs = tmp_path / "logs"
    code = code.replace("LOGS", str(logs))
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"

    from tensorboard.backend.event_processing import event_accumulator

    events = event_accumulator.EventAccumulator(str(logs))
    events.Reload()
    assert sorted(e.step for e in events.Scalars("loss/g")) == [2, 4, 6, 8]
    assert sorted(e.step for e in events.Scalars("epoch/loss/g")) == [4, 8]
    assert [e.step for e in events.Images("samples/ema")] == [4, 8]
    text = events.Tensors("recipe")[0].tensor_proto.string_val[0].decode()
    assert "    seed = 5\n" in text
