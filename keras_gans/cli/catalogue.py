"""`keras-gans list` and `keras-gans plugins`: what is registered, by
whom. Neither imports a backend."""

import json

import click

from keras_gans.cli import backend as backend_module
from keras_gans.cli import errors

KINDS = ("architectures", "losses", "penalties", "datasets", "metrics",
         "features", "callbacks", "augmentations")


@click.command("list")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_command(ctx, kind, as_json):
    """List the registered architectures, losses, penalties, datasets, ...

    Each name is shown with the plugin that registered it.
    """
    backend_module.setup(ctx)
    from keras_gans import plugins

    with errors.reported(ctx):
        catalogue = plugins.catalogue()
        rows = catalogue.listing(kind)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"No {kind} registered.")
    else:
        name_width = max(len("NAME"), *(len(r["name"]) for r in rows))
        plugin_width = max(len("PLUGIN"), *(len(r["plugin"]) for r in rows))
        click.echo(f"{'NAME':<{name_width}}  {'PLUGIN':<{plugin_width}}  "
                   "DESCRIPTION")
        for row in rows:
            click.echo(f"{row['name']:<{name_width}}  "
                       f"{row['plugin']:<{plugin_width}}  "
                       f"{row['description']}")
    broken = [p for p in catalogue.plugins.values() if p.error]
    if broken:
        names = ", ".join(p.name for p in broken)
        click.echo(f"\nBroken plugins, whose names are missing here: {names}. "
                   "See `keras-gans plugins`.", err=True)


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins_command(ctx, as_json):
    """Show the installed plugins: version, status and what each registers.

    A plugin that fails to load is shown as broken with its error; the
    others keep working. KERAS_GANS_LOAD_PLUGINS (comma-separated names;
    empty for none) chooses which third-party plugins load.
    """
    backend_module.setup(ctx)
    from keras_gans import plugins

    with errors.reported(ctx):
        infos = list(plugins.catalogue().plugins.values())
    if as_json:
        click.echo(json.dumps([info.as_dict() for info in infos], indent=2))
        return
    for info in infos:
        status = "ok" if info.status == "ok" else click.style(
            "broken", fg="red")
        click.echo(f"{info.name} {info.version or '(no version)'}  "
                   f"[{status}]  {info.module}")
        for kind, names in info.registered.items():
            click.echo(f"    {kind}: {', '.join(sorted(names))}")
        if info.error:
            click.echo(f"    error: {info.error}")
        for conflict in info.conflicts:
            click.echo(f"    conflict: {conflict}")
