"""practice sessions, answers, mistake book

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 03:52:01.736926

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('practice_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), server_default='practice', nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('label', sa.String(length=300), server_default='', nullable=False),
    sa.Column('question_ids', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('correct_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('practice', 'redo')", name=op.f('ck_practice_sessions_kind_valid')),
    sa.CheckConstraint('position >= 0 AND position <= total', name=op.f('ck_practice_sessions_position_in_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_practice_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_sessions'))
    )
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_practice_sessions_user_started', ['user_id', 'started_at'], unique=False)

    op.create_table('mistake_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('wrong_count', sa.Integer(), server_default='1', nullable=False),
    sa.Column('correct_streak', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('first_wrong_at', sa.DateTime(), nullable=False),
    sa.Column('last_wrong_at', sa.DateTime(), nullable=False),
    sa.Column('last_answered_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("source IN ('practice', 'exam')", name=op.f('ck_mistake_entries_source_valid')),
    sa.CheckConstraint("status IN ('open', 'mastered', 'removed')", name=op.f('ck_mistake_entries_status_valid')),
    sa.CheckConstraint('correct_streak >= 0', name=op.f('ck_mistake_entries_streak_not_negative')),
    sa.CheckConstraint('wrong_count >= 1', name=op.f('ck_mistake_entries_wrong_count_positive')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_mistake_entries_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mistake_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mistake_entries')),
    sa.UniqueConstraint('user_id', 'question_id', name='uq_mistake_entries_user_question')
    )
    with op.batch_alter_table('mistake_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mistake_entries_question_id'), ['question_id'], unique=False)
        batch_op.create_index('ix_mistake_entries_user_status', ['user_id', 'status'], unique=False)

    op.create_table('practice_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('response', sa.String(length=8), nullable=False),
    sa.Column('answer_key', sa.String(length=8), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_practice_answers_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_practice_answers_session_id_practice_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_answers')),
    sa.UniqueConstraint('session_id', 'seq', name='uq_practice_answers_session_seq')
    )
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_answers_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_answers_question_id'))

    op.drop_table('practice_answers')
    with op.batch_alter_table('mistake_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_mistake_entries_user_status')
        batch_op.drop_index(batch_op.f('ix_mistake_entries_question_id'))

    op.drop_table('mistake_entries')
    with op.batch_alter_table('practice_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_sessions_user_started')

    op.drop_table('practice_sessions')
