"""question banks, questions, import records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 03:44:24.430843

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_banks_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_banks_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks')),
    sa.UniqueConstraint('unit_id', 'name', name='uq_banks_unit_name')
    )
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_banks_unit_id'), ['unit_id'], unique=False)

    op.create_table('bank_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_bank_imports_bank_id_banks')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_bank_imports_imported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_imports'))
    )
    with op.batch_alter_table('bank_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_imports_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_imports_sha256'), ['sha256'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('qtype', sa.String(length=10), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('explanation', sa.Text(), server_default='', nullable=False),
    sa.Column('difficulty', sa.String(length=10), server_default='medium', nullable=False),
    sa.Column('category', sa.String(length=200), server_default='', nullable=False),
    sa.Column('law_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('law_article', sa.String(length=100), server_default='', nullable=False),
    sa.Column('law_version', sa.Date(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('score_hint', sa.Double(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('import_sheet', sa.String(length=100), server_default='', nullable=False),
    sa.Column('import_row', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("difficulty IN ('easy', 'medium', 'hard')", name=op.f('ck_questions_difficulty_valid')),
    sa.CheckConstraint("qtype IN ('single', 'multiple', 'judge', 'fill')", name=op.f('ck_questions_qtype_valid')),
    sa.CheckConstraint("status IN ('active', 'retired')", name=op.f('ck_questions_status_valid')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_questions_bank_id_banks')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questions_created_by_id_users')),
    sa.ForeignKeyConstraint(['import_id'], ['bank_imports.id'], name=op.f('fk_questions_import_id_bank_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('bank_id', 'fingerprint', name='uq_questions_bank_fingerprint')
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_bank_status_type', ['bank_id', 'status', 'qtype'], unique=False)
        batch_op.create_index('ix_questions_category', ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_questions_law', ['law_name'], unique=False)



def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_law')
        batch_op.drop_index(batch_op.f('ix_questions_import_id'))
        batch_op.drop_index('ix_questions_category')
        batch_op.drop_index('ix_questions_bank_status_type')

    op.drop_table('questions')
    with op.batch_alter_table('bank_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_imports_sha256'))
        batch_op.drop_index(batch_op.f('ix_bank_imports_bank_id'))

    op.drop_table('bank_imports')
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_banks_unit_id'))

    op.drop_table('banks')
