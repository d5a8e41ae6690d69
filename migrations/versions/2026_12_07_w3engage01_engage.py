"""engage: review cards (FSRS), daily sets of 每日一练, 以案释法 cases, 法律明白人 certificates

Revision ID: w3engage01
Revises: 0006
Create Date: 2026-12-07 05:14:40.859290

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3engage01'
down_revision = '0006'
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
    op.drop_table('legal_aide_certificates')
    op.drop_table('daily_sets')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_unit_id'))

    op.drop_table('cases')

