"""questions: drop ix_questions_variant_group, which no query uses (variant groups are read with the questions a
draw already picked, never looked up), so that every imported question no longer pays for it

Revision ID: w3importfast01
Revises: w3scale01
Create Date: 2026-12-07 15:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'w3importfast01'
down_revision = 'w3scale01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_variant_group')


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_variant_group', ['variant_group'], unique=False)
