"""One module per command group of the `toolforge` CLI; each exports `app: typer.Typer`."""
