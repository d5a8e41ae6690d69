"""不定项 type, 案例分析 groups and variant groups on questions; case text frozen on attempt items

Revision ID: w3curr01
Revises: w3trust01
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3curr01'
down_revision = 'w3trust01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('case_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('variant_group', sa.String(length=60), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_questions_qtype_valid'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_questions_qtype_valid'), "qtype IN ('single', 'multiple', 'indefinite', 'judge', 'fill')")
        batch_op.create_index('ix_questions_bank_case', ['bank_id', 'case_id'], unique=False)
        batch_op.create_index('ix_questions_variant_group', ['variant_group'], unique=False)

    with op.batch_alter_table('exam_attempt_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_text', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('exam_attempt_items', schema=None) as batch_op:
        batch_op.drop_column('case_text')

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_variant_group')
        batch_op.drop_index('ix_questions_bank_case')
        batch_op.drop_constraint(batch_op.f('ck_questions_qtype_valid'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_questions_qtype_valid'),
                                         "qtype IN ('single', 'multiple', 'judge', 'fill')")
        batch_op.drop_column('variant_group')
        batch_op.drop_column('case_text')
        batch_op.drop_column('case_id')
