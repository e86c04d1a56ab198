"""inbox (durable platform events) and speech chunks (ordered by the platform's timestamp)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('order_key', sa.BigInteger(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('platform', 'key', name=op.f('uq_inbox_platform'))
    )
    op.create_index('ix_inbox_pending', 'inbox', ['platform', 'processed_at', 'id'], unique=False)
    op.create_table('speech_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('speech_id', sa.Integer(), nullable=False),
    sa.Column('order_key', sa.BigInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['speech_id'], ['speeches.id'], name=op.f('fk_speech_chunks_speech_id_speeches'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speech_chunks'))
    )
    op.create_index('ix_speech_chunks_speech', 'speech_chunks', ['speech_id', 'order_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_speech_chunks_speech', table_name='speech_chunks')
    op.drop_table('speech_chunks')
    op.drop_index('ix_inbox_pending', table_name='inbox')
    op.drop_table('inbox')
