"""reports: settings and the yearly roll-up (person and unit statistics)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

FACTS = ('exam_due', 'exam_sat', 'exam_passed', 'exam_excellent', 'exam_makeup', 'score_sum', 'score_n',
         'bin0', 'bin1', 'bin2', 'bin3', 'bin4', 'mat_due', 'mat_done', 'seconds', 'online_seconds',
         'offline_seconds', 'online_months', 'sessions', 'unmet')


def _facts(big_seconds):
    types = {'score_sum': sa.Float()}
    if big_seconds:  # a unit's total can pass 2^31 seconds; one person's cannot
        types.update(seconds=sa.BigInteger(), online_seconds=sa.BigInteger(), offline_seconds=sa.BigInteger())
    return [sa.Column(name, types.get(name, sa.Integer()), server_default='0', nullable=False) for name in FACTS]


def upgrade():
    op.create_table('report_settings',
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_report_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_settings'))
    )
    op.create_table('report_refreshes',
    sa.Column('year', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), server_default='0', nullable=False),
    sa.Column('person_rows', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_report_refreshes'))
    )
    op.create_table('report_unit_stats',
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('slot', sa.SmallInteger(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), server_default='0', nullable=False),
    sa.Column('persons', sa.Integer(), server_default='0', nullable=False),
    sa.Column('obliged', sa.Integer(), server_default='0', nullable=False),
    sa.Column('complete', sa.Integer(), server_default='0', nullable=False),
    sa.Column('online_people', sa.Integer(), server_default='0', nullable=False),
    sa.Column('outsiders', sa.Integer(), server_default='0', nullable=False),
    *_facts(big_seconds=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_unit_stats_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('year', 'slot', 'unit_id', name=op.f('pk_report_unit_stats'))
    )
    with op.batch_alter_table('report_unit_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_unit_stats_unit_id'), ['unit_id'], unique=False)

    op.create_table('report_person_stats',
    sa.Column('year', sa.SmallInteger(), nullable=False),
    sa.Column('slot', sa.SmallInteger(), nullable=False),
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    *_facts(big_seconds=False),
    sa.PrimaryKeyConstraint('year', 'slot', 'user_id', name=op.f('pk_report_person_stats'))
    )


def downgrade():
    op.drop_table('report_person_stats')
    with op.batch_alter_table('report_unit_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_unit_stats_unit_id'))
    op.drop_table('report_unit_stats')
    op.drop_table('report_refreshes')
    op.drop_table('report_settings')
