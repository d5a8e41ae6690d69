"""reports: rankings read a page from an index, ties in account order — the roll-up's average index gains the
person (so 40,000 people tied at 100 points need no sort), an index on 学时 the same way, and the count of
在册 people with study time per unit (the place of those without)

Revision ID: w3scale03
Revises: w3scale02
Create Date: 2026-12-07 19:00:00

The new column starts at 0: every rolled-up year is marked as rebuilt long ago, so the nightly
``flask reports rebuild --stale`` (or “立即更新”, or ``flask reports rebuild --year N``) fills it; the pages
say the figures are out of date until then.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3scale03'
down_revision = 'w3scale02'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_unit_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('studied', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE report_refreshes SET computed_at = '2000-01-01 00:00:00'")
    # Raw SQL, outside the models (common.database.made_by_raw_sql), the same statement on SQLite and PostgreSQL.
    # In the order the rankings show (highest first, ties by account) and the people list sorted by a figure reads
    # (reports.queries.figure_parts), so one page is the next 20 entries of the index.
    op.execute("DROP INDEX ix_report_person_stats_average_expr")
    op.execute("CREATE INDEX ix_report_person_stats_average_expr ON report_person_stats "
               "(year, slot, (score_sum / score_n) DESC, user_id) WHERE score_n > 0")
    op.execute("CREATE INDEX ix_report_person_stats_seconds_sorted ON report_person_stats "
               "(year, slot, seconds DESC, user_id) WHERE seconds > 0")


def downgrade():
    op.execute("DROP INDEX ix_report_person_stats_seconds_sorted")
    op.execute("DROP INDEX ix_report_person_stats_average_expr")
    op.execute("CREATE INDEX ix_report_person_stats_average_expr ON report_person_stats "
               "(year, slot, (score_sum / score_n)) WHERE score_n > 0")
    with op.batch_alter_table('report_unit_stats', schema=None) as batch_op:
        batch_op.drop_column('studied')
