"""product: leaders' 述法 wording

Revision ID: w3product01
Revises: 0006
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3product01'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shufa_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('edited_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_shufa_texts_edited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_shufa_texts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shufa_texts')),
    sa.UniqueConstraint('user_id', 'year', name=op.f('uq_shufa_texts_user_id'))
    )


def downgrade():
    op.drop_table('shufa_texts')
