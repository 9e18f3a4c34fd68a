"""Outbox claims: who holds a delivery's or alert's claim, and until when.

``claimed_by`` is "host:pid:process start" of the process that claimed the row;
``claim_expires_at`` is when its lease ends. Both stay NULL on rows claimed before this
revision (the outbox treats those by their last attempt's time).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ('delivery', 'alert')


def upgrade() -> None:
    for table in _TABLES:
        # batch mode: SQLite cannot alter tables in place (Alembic copies them there)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('claimed_by', sa.String(), nullable=True))
            batch_op.add_column(
                sa.Column('claim_expires_at', sa.DateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('claim_expires_at')
            batch_op.drop_column('claimed_by')
