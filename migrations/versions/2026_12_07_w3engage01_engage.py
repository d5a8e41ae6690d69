"""engage: review cards (FSRS), daily sets of 每日一练, 以案释法 cases, 法律明白人 certificates, 知识竞赛

Revision ID: w3engage01
Revises: w3product01
Create Date: 2026-12-07 05:21:09.560195

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3engage01'
down_revision = 'w3product01'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('laws', sa.Text(), server_default='', nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('facts', sa.Text(), server_default='', nullable=False),
    sa.Column('issue', sa.Text(), server_default='', nullable=False),
    sa.Column('analysis', sa.Text(), server_default='', nullable=False),
    sa.Column('basis', sa.Text(), server_default='', nullable=False),
    sa.Column('question_refs', sa.String(length=500), server_default='', nullable=False),
    sa.Column('question_ids', sa.JSON(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('source_file', sa.String(length=255), nullable=True),
    sa.Column('material_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cases_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_cases_material_id_materials'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cases_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('source_file', name=op.f('uq_cases_source_file'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_unit_id'), ['unit_id'], unique=False)

    op.create_table('contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('join_code', sa.String(length=8), nullable=False),
    sa.Column('question_ids', sa.JSON(), nullable=False),
    sa.Column('seconds', sa.Integer(), server_default='20', nullable=False),
    sa.Column('status', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('phase', sa.String(length=10), server_default='lobby', nullable=False),
    sa.Column('current', sa.Integer(), server_default='-1', nullable=False),
    sa.Column('question_started_at', sa.DateTime(), nullable=True),
    sa.Column('question_ends_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('offline_session_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("phase IN ('lobby', 'question', 'reveal')", name=op.f('ck_contests_phase_valid')),
    sa.CheckConstraint("status IN ('draft', 'running', 'finished')", name=op.f('ck_contests_status_valid')),
    sa.CheckConstraint('seconds BETWEEN 5 AND 300', name=op.f('ck_contests_seconds_in_range')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_contests_bank_id_banks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contests_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offline_session_id'], ['offline_sessions.id'], name=op.f('fk_contests_offline_session_id_offline_sessions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_contests_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contests')),
    sa.UniqueConstraint('join_code', name=op.f('uq_contests_join_code'))
    )
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contests_unit_id'), ['unit_id'], unique=False)

    op.create_table('daily_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['practice_sessions.id'], name=op.f('fk_daily_sets_session_id_practice_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_daily_sets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_sets')),
    sa.UniqueConstraint('session_id', name=op.f('uq_daily_sets_session_id')),
    sa.UniqueConstraint('user_id', 'day', name='uq_daily_sets_user_day')
    )
    op.create_table('legal_aide_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('unit_name', sa.String(length=500), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_legal_aide_certificates_exam_id_exams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_legal_aide_certificates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_aide_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_legal_aide_certificates_code')),
    sa.UniqueConstraint('user_id', name=op.f('uq_legal_aide_certificates_user_id'))
    )
    op.create_table('contest_players',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_contest_players_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_contest_players_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contest_players_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_players')),
    sa.UniqueConstraint('contest_id', 'user_id', name='uq_contest_players_contest_user')
    )
    with op.batch_alter_table('contest_players', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_players_user_id'), ['user_id'], unique=False)

    op.create_table('contest_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=True),
    sa.Column('response', sa.String(length=8), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('elapsed_ms', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_contest_answers_contest_id_contests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_contest_answers_question_id_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contest_answers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_answers')),
    sa.UniqueConstraint('contest_id', 'user_id', 'position', name='uq_contest_answers_contest_user_position')
    )
    with op.batch_alter_table('contest_answers', schema=None) as batch_op:
        batch_op.create_index('ix_contest_answers_contest_position', ['contest_id', 'position'], unique=False)

    op.create_table('review_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.SmallInteger(), server_default='1', nullable=False),
    sa.Column('stability', sa.Double(), nullable=True),
    sa.Column('difficulty', sa.Double(), nullable=True),
    sa.Column('due', sa.DateTime(), nullable=False),
    sa.Column('last_review', sa.DateTime(), nullable=True),
    sa.Column('reviews', sa.Integer(), server_default='0', nullable=False),
    sa.Column('lapses', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('state IN (1, 2, 3)', name=op.f('ck_review_cards_state_valid')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_review_cards_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cards')),
    sa.UniqueConstraint('user_id', 'question_id', name='uq_review_cards_user_question')
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_cards_question_id'), ['question_id'], unique=False)
        batch_op.create_index('ix_review_cards_user_due', ['user_id', 'due'], unique=False)




def downgrade():

    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cards_user_due')
        batch_op.drop_index(batch_op.f('ix_review_cards_question_id'))

    op.drop_table('review_cards')
    with op.batch_alter_table('contest_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_contest_answers_contest_position')

    op.drop_table('contest_answers')
    with op.batch_alter_table('contest_players', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_players_user_id'))

    op.drop_table('contest_players')
    op.drop_table('legal_aide_certificates')
    op.drop_table('daily_sets')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contests_unit_id'))

    op.drop_table('contests')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_unit_id'))

    op.drop_table('cases')

