"""`keras-gans schema`: the JSON Schema of a recipe, for editors."""

import json

import click

from keras_gans.cli import errors


@click.command("schema")
@click.option("-o", "--output", default=None,
              type=click.Path(dir_okay=False),
              help="JSON file to write (default: print it).")
@click.pass_context
def schema_command(ctx, output):
    """Print the JSON Schema of a recipe (sections, keys, types, ranges,
    defaults and their descriptions), for completion and checks in a TOML
    editor: put `#:schema ./recipe.schema.json` at the top of a recipe.

    Registered names and factory parameters depend on the installed
    plugins and are left open; `keras-gans run` checks them.
    """
    from keras_gans import files
    from keras_gans.runs.recipe_schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    errors.check_output_file(output)
    with errors.reported(ctx):
        files.write_text(output, text)
    click.echo(f"Wrote {output}")
