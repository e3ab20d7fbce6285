"""Alembic's environment for the service's database.

`fraudwall.platform.migrate` runs it with an open connection already inside its write
transaction (``config.attributes["connection"]``): the migrations and the version stamp
are committed together, or not at all, and two processes never migrate at once.
"""

from __future__ import annotations

from alembic import context

from fraudwall.platform.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "the service's migrations run through fraudwall: `fraudwall db upgrade` "
        "or fraudwall.platform.migrate.upgrade(url)"
    )
context.configure(
    connection=connection,
    target_metadata=metadata,
    # batch operations: ALTERs that SQLite cannot do are done by copying the table
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
