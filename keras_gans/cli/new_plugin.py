"""`keras-gans new-plugin`: a plugin package to start from."""

import shlex

import click

from keras_gans.cli import errors


@click.command("new-plugin")
@click.argument("name")
@click.option("--directory", "-d", default=".", show_default=True,
              type=click.Path(file_okay=False),
              help="Where to create the plugin's folder.")
@click.pass_context
def new_plugin_command(ctx, name, directory):
    """Create a plugin package NAME: pyproject with the entry point, a
    hook implementation and a passing test."""
    try:
        from keras_gans.plugins.scaffold import scaffold_plugin
    except ImportError as error:
        raise click.ClickException(
            f"The plugin template is not available: {error}"
        ) from None
    with errors.reported(ctx, user_errors=(ValueError, OSError)):
        path = scaffold_plugin(name, directory)
    click.echo(f"Created the plugin {name} in {path}")
    # The steps of the generated README.md: the `test` extra brings pytest.
    click.echo("Next:")
    click.echo(f"  pip install -e {shlex.quote(f'{path}[test]')}")
    click.echo(f"  pytest {shlex.quote(str(path))}")
    click.echo("  keras-gans plugins")
