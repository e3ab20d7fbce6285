"""event lookups apart from the events

Revision ID: 0004
Revises: '0003'
Created: 2026-12-04 16:32:28.530357

Written by Alembic's autogenerate (`python -m fraudwall.platform.migrate --autogenerate`)
and reviewed: a migration is frozen, it never reads `schema.metadata`.

The events get a sequence number (`seq`, their primary key: SQLite's rowid) and keep
`event_id` unique; the indexes risk checks read move to `event_lookups` (by kind and
party; by device, for transfers only), which the service fills from the events when it
starts (`platform.eventlookups`: derived data, nothing to copy here); the index on
(institution_id, ts), which nothing read, goes.
Autogenerate does not see a change of primary key: that part is written by hand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_MOVED = (
    ("ix_events_device_id", ["device_id"]),
    ("ix_events_institution_id_ts", ["institution_id", "ts"]),
    ("ix_events_kind_party", ["kind", "party"]),
)


def upgrade() -> None:
    op.create_table(
        "event_lookups",
        sa.Column("seq", _SEQ, autoincrement=False, nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("party", sa.Text(), nullable=True),
        sa.Column("device_id", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_event_lookups")),
    )
    with op.batch_alter_table("event_lookups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_lookups_transfer_device_id",
            ["device_id"],
            unique=False,
            sqlite_where=sa.text("kind = 'transfers'"),
            postgresql_where=sa.text("kind = 'transfers'"),
        )
        batch_op.create_index("ix_event_lookups_kind_party", ["kind", "party"], unique=False)

    for name, _ in _MOVED:
        op.drop_index(name, table_name="events")
    if op.get_bind().dialect.name == "postgresql":
        # numbered in the table's order; new events are numbered after them
        op.execute("ALTER TABLE events ADD COLUMN seq BIGSERIAL NOT NULL")
        op.drop_constraint("pk_events", "events", type_="primary")
        op.create_primary_key("pk_events", "events", ["seq"])
        op.create_unique_constraint("uq_events_event_id", "events", ["event_id"])
        return
    # SQLite cannot change a primary key: the table is copied, each event numbered in
    # the order it was stored (its rowid)
    with op.batch_alter_table("events", schema=None, recreate="always") as batch_op:
        batch_op.add_column(
            sa.Column("seq", _SEQ, autoincrement=True, nullable=False), insert_before="event_id"
        )
        batch_op.drop_constraint("pk_events", type_="primary")
        batch_op.create_primary_key("pk_events", ["seq"])
        batch_op.create_unique_constraint("uq_events_event_id", ["event_id"])


def downgrade() -> None:
    op.drop_table("event_lookups")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("uq_events_event_id", "events", type_="unique")
        op.drop_constraint("pk_events", "events", type_="primary")
        op.drop_column("events", "seq")
        op.create_primary_key("pk_events", "events", ["event_id"])
    else:
        with op.batch_alter_table("events", schema=None, recreate="always") as batch_op:
            batch_op.drop_constraint("uq_events_event_id", type_="unique")
            batch_op.drop_constraint("pk_events", type_="primary")
            batch_op.drop_column("seq")
            batch_op.create_primary_key("pk_events", ["event_id"])
    for name, columns in _MOVED:
        op.create_index(name, "events", columns, unique=False)
