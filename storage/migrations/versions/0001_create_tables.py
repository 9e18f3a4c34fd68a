"""Create every table.

Column types are spelled as plain SQLAlchemy types so this file does not change when the
models do: aware datetimes are DateTime(timezone=True) (UTCDateTime in the models), word
columns are VARCHAR(32) (StrEnums in the models).

Revision ID: 0001
Revises: 
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('article',
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('outlet', sa.String(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('historical', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article')),
    sa.UniqueConstraint('url', name=op.f('uq_article_url'))
    )
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_first_seen_at'), ['first_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_source'), ['source'], unique=False)

    op.create_table('baseline_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('source_path', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_baseline_version')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_baseline_version_content_hash'))
    )
    with op.batch_alter_table('baseline_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_baseline_version_version'), ['version'], unique=False)

    op.create_table('digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('path', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest')),
    sa.UniqueConstraint('kind', 'window_start', 'window_end', name=op.f('uq_digest_kind_window_start_window_end'))
    )
    with op.batch_alter_table('digest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_window_end'), ['window_end'], unique=False)

    op.create_table('fetch_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('url', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('error_kind', sa.String(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('bytes', sa.Integer(), nullable=True),
    sa.Column('elapsed', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fetch_log'))
    )
    with op.batch_alter_table('fetch_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetch_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fetch_log_source'), ['source'], unique=False)

    op.create_table('policy_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(), nullable=False),
    sa.Column('direction', sa.String(length=32), nullable=False),
    sa.Column('baseline_version', sa.String(), nullable=False),
    sa.Column('from_stance', sa.String(), nullable=True),
    sa.Column('to_stance', sa.String(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outlets', sa.JSON(), nullable=False),
    sa.Column('corroboration', sa.Integer(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_change'))
    )
    with op.batch_alter_table('policy_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_change_status'), ['status'], unique=False)
        batch_op.create_index('uq_policy_change_open', ['dimension', 'direction', 'baseline_version'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('source_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_event'))
    )
    with op.batch_alter_table('source_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_event_source'), ['source'], unique=False)

    op.create_table('source_state',
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('etag', sa.String(), nullable=True),
    sa.Column('last_modified', sa.String(), nullable=True),
    sa.Column('last_body_sha256', sa.String(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_kind', sa.String(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_new_item_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('healthy', sa.Boolean(), nullable=False),
    sa.Column('unhealthy_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_source_state'))
    )
    op.create_table('article_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('revision_no', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('diff', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_article_revision_article_id_article')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revision')),
    sa.UniqueConstraint('article_id', 'revision_no', name=op.f('uq_article_revision_article_id_revision_no'))
    )
    with op.batch_alter_table('article_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_revision_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_revision_created_at'), ['created_at'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=False),
    sa.Column('channel_key', sa.String(), nullable=False),
    sa.Column('channel_label', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['digest.id'], name=op.f('fk_delivery_digest_id_digest')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    sa.UniqueConstraint('digest_id', 'channel_key', name=op.f('uq_delivery_digest_id_channel_key'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_digest_id'), ['digest_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_status'), ['status'], unique=False)

    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=False),
    sa.Column('baseline_version', sa.String(), nullable=False),
    sa.Column('classifier_version', sa.String(), nullable=False),
    sa.Column('relevant', sa.Boolean(), nullable=False),
    sa.Column('direction', sa.String(length=32), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('historical', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_assessment_article_id_article')),
    sa.ForeignKeyConstraint(['revision_id'], ['article_revision.id'], name=op.f('fk_assessment_revision_id_article_revision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('article_id', 'content_hash', 'baseline_version', 'classifier_version', name='uq_assessment_key')
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_created_at'), ['created_at'], unique=False)

    op.create_table('signal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(), nullable=False),
    sa.Column('direction', sa.String(length=32), nullable=False),
    sa.Column('relation', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('baseline_stance', sa.String(), nullable=True),
    sa.Column('reported_stance', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_signal_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal'))
    )
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signal_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('policy_change_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_change_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['article.id'], name=op.f('fk_policy_change_evidence_article_id_article')),
    sa.ForeignKeyConstraint(['policy_change_id'], ['policy_change.id'], name=op.f('fk_policy_change_evidence_policy_change_id_policy_change')),
    sa.ForeignKeyConstraint(['signal_id'], ['signal.id'], name=op.f('fk_policy_change_evidence_signal_id_signal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_change_evidence')),
    sa.UniqueConstraint('policy_change_id', 'article_id', name=op.f('uq_policy_change_evidence_policy_change_id_article_id'))
    )
    with op.batch_alter_table('policy_change_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_change_evidence_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_change_evidence_policy_change_id'), ['policy_change_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('policy_change_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_change_evidence_policy_change_id'))
        batch_op.drop_index(batch_op.f('ix_policy_change_evidence_article_id'))

    op.drop_table('policy_change_evidence')
    with op.batch_alter_table('signal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signal_assessment_id'))

    op.drop_table('signal')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_created_at'))
        batch_op.drop_index(batch_op.f('ix_assessment_article_id'))

    op.drop_table('assessment')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_status'))
        batch_op.drop_index(batch_op.f('ix_delivery_digest_id'))

    op.drop_table('delivery')
    with op.batch_alter_table('article_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_revision_created_at'))
        batch_op.drop_index(batch_op.f('ix_article_revision_article_id'))

    op.drop_table('article_revision')
    op.drop_table('source_state')
    with op.batch_alter_table('source_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_event_source'))
        batch_op.drop_index(batch_op.f('ix_source_event_at'))

    op.drop_table('source_event')
    with op.batch_alter_table('policy_change', schema=None) as batch_op:
        batch_op.drop_index('uq_policy_change_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_policy_change_status'))

    op.drop_table('policy_change')
    with op.batch_alter_table('fetch_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetch_log_source'))
        batch_op.drop_index(batch_op.f('ix_fetch_log_at'))

    op.drop_table('fetch_log')
    with op.batch_alter_table('digest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_window_end'))

    op.drop_table('digest')
    with op.batch_alter_table('baseline_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_baseline_version_version'))

    op.drop_table('baseline_version')
    with op.batch_alter_table('article', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_source'))
        batch_op.drop_index(batch_op.f('ix_article_published_at'))
        batch_op.drop_index(batch_op.f('ix_article_first_seen_at'))

    op.drop_table('article')
