"""`fodi franchise` and `fodi ledger` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="The franchise network.", no_args_is_help=True)
ledger_app = typer.Typer(help="Verify and witness the franchise ledger.", no_args_is_help=True)
