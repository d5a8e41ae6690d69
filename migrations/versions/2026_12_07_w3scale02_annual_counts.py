"""reports: the annual figures' person counts on the unit roll-up (在册 by 人员类别, 述法对象 and what they achieved,
trained 法律明白人), so a province's 年度学法数据 adds up unit rows instead of scanning a million people; an index
on the people's average score for the people list and the ranking by 平均分 (with the count of people who
have a score, per unit)

Revision ID: w3scale02
Revises: w3importfast01
Create Date: 2026-12-07 16:20:00

The new columns start at 0: every rolled-up year is marked as rebuilt long ago, so the nightly
``flask reports rebuild --stale`` (or “立即更新”, or ``flask reports rebuild --year N``) fills them; the pages
say the figures are out of date until then.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3scale02'
down_revision = 'w3importfast01'
branch_labels = None
depends_on = None

COLUMNS = ('cat_leading', 'cat_general', 'cat_village', 'cat_legal_aide', 'cat_other', 'shufa_people',
           'shufa_untargeted', 'shufa_sat_all', 'shufa_passed_all', 'shufa_hours_met', 'aides_trained', 'scored')


def upgrade():
    with op.batch_alter_table('report_unit_stats', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE report_refreshes SET computed_at = '2000-01-01 00:00:00'")
    # People sorted by 平均分 read this index in order (reports.queries.average_parts); raw SQL, outside the
    # models (common.database.made_by_raw_sql): the same statement on SQLite and PostgreSQL.
    op.execute("CREATE INDEX ix_report_person_stats_average_expr ON report_person_stats "
               "(year, slot, (score_sum / score_n)) WHERE score_n > 0")


def downgrade():
    op.execute("DROP INDEX ix_report_person_stats_average_expr")
    with op.batch_alter_table('report_unit_stats', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
