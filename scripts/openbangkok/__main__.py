from openbangkok.cli import cli

cli()
