"""ratings board index covers rounds (fast "your place" counts on big servers)

Revision ID: 0002_ratings_board
Revises: 0001
Create Date: 2026-11-25 22:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0002_ratings_board'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_board')
        batch_op.create_index('ix_ratings_board', ['server_id', 'pool', 'season', 'ordinal', 'rounds'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_board')
        batch_op.create_index('ix_ratings_board', ['server_id', 'pool', 'season', 'ordinal'], unique=False)
