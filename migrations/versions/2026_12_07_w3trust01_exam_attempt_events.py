"""exam attempt events: start, resume, page leaves, submission and refused answers, for disputes

Revision ID: w3trust01
Revises: 0006
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'w3trust01'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'exam_attempt_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('detail', sa.String(length=500), server_default='', nullable=False),
        sa.Column('address', sa.String(length=45), server_default='', nullable=False),
        sa.Column('device', sa.String(length=200), server_default='', nullable=False),
        sa.CheckConstraint("kind IN ('start', 'resume', 'leave', 'submit', 'refused')",
                           name=op.f('ck_exam_attempt_events_kind_valid')),
        sa.ForeignKeyConstraint(['attempt_id'], ['exam_attempts.id'],
                                name=op.f('fk_exam_attempt_events_attempt_id_exam_attempts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_attempt_events')),
    )
    op.create_index('ix_exam_attempt_events_attempt_at', 'exam_attempt_events', ['attempt_id', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_exam_attempt_events_attempt_at', table_name='exam_attempt_events')
    op.drop_table('exam_attempt_events')
