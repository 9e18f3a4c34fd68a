"""What listings said of stored articles: the URLs they gave, the headlines they gave.

``article_alias``: a listing that adds a query the page's canonical URL drops (Yonhap's
``?section=``) used to make every pass fetch that page again, since the listed URL was never
the stored one. ``article.listed_title`` and ``article.listed_updated_at``: a listing
headline spelt otherwise than the page's (Yonhap's wire markers), or an update time ahead of
our clock, used to read as a change on every pass. ``skipped_page``: a page dropped rather
than stored (a paywalled NK Pro teaser, a page gone or over the size cap) used to be fetched
again whenever its feed changed.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listed_title', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('listed_updated_at', sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        'article_alias',
        sa.Column('url', sa.String(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['article_id'], ['article.id'], name=op.f('fk_article_alias_article_id_article')
        ),
        sa.PrimaryKeyConstraint('url', name=op.f('pk_article_alias')),
    )
    with op.batch_alter_table('article_alias', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_article_alias_article_id'), ['article_id'], unique=False
        )
    op.create_table(
        'skipped_page',
        sa.Column('url', sa.String(), nullable=False),
        sa.Column('source', sa.String(), nullable=False),
        sa.Column('reason', sa.String(), nullable=False),
        sa.Column('listed_title', sa.Text(), nullable=True),
        sa.Column('listed_updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('skipped_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('url', name=op.f('pk_skipped_page')),
    )
    with op.batch_alter_table('skipped_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skipped_page_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('skipped_page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skipped_page_source'))
    op.drop_table('skipped_page')
    with op.batch_alter_table('article_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_alias_article_id'))
    op.drop_table('article_alias')
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_column('listed_updated_at')
        batch_op.drop_column('listed_title')
