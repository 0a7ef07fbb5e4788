"""Alembic environment: runs on the connection handed over by fodi.core.migrations."""

from __future__ import annotations

from alembic import context

from fodi.core.migrations import load_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `fodi migrate` (it hands Alembic a connection)")

context.configure(
    connection=connection,
    target_metadata=load_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
