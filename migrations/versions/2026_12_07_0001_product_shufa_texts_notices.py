"""product: leaders' 述法 wording, notices (督办提醒), certificate issuer and seal, offline attendance confirmed before it earns 学时

Revision ID: w3product01
Revises: w3imports01
Create Date: 2026-12-07 05:00:00

"""
from collections import Counter

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'w3product01'
down_revision = 'w3imports01'
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
    # A plain ADD COLUMN on both databases: batch mode would rebuild offline_sessions on SQLite, and dropping
    # the old table cascades to offline_attendance (foreign keys are on), losing every attendance record.
    op.add_column('offline_sessions', sa.Column('confirmed_at', sa.DateTime(), nullable=True))
    _confirm_past_and_take_back_future()
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), server_default='reminder', nullable=False),
    sa.Column('topic', sa.String(length=20), server_default='', nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('reminder')", name=op.f('ck_notices_kind_valid')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_notices_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index('ix_notices_kind_topic', 'notices', ['kind', 'topic'], unique=False)
    op.create_index('ix_notices_user_read', 'notices', ['user_id', 'read_at'], unique=False)
    op.create_table('certificate_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_name', sa.String(length=100), server_default='', nullable=False),
    sa.Column('seal_png', sa.LargeBinary(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_certificate_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_settings'))
    )


def _confirm_past_and_take_back_future():
    """Sessions already held count as confirmed (they credited their attendees when recorded); sessions still
    to come had credited hours in advance: take those back, so they earn them only once confirmed."""
    bind = op.get_bind()
    sessions = sa.table('offline_sessions', sa.column('id'), sa.column('held_on'), sa.column('minutes'),
                        sa.column('category'), sa.column('created_at'), sa.column('confirmed_at'))
    attendance = sa.table('offline_attendance', sa.column('session_id'), sa.column('user_id'))
    credits = sa.table('study_credits', sa.column('user_id'), sa.column('year'), sa.column('month'),
                       sa.column('category'), sa.column('source'), sa.column('seconds'))
    today = sa.func.current_date()
    bind.execute(sa.update(sessions).where(sessions.c.held_on <= today).values(confirmed_at=sessions.c.created_at))
    owed = Counter()
    for user_id, held_on, minutes, category in bind.execute(
            sa.select(attendance.c.user_id, sessions.c.held_on, sessions.c.minutes, sessions.c.category)
            .join(sessions, sessions.c.id == attendance.c.session_id).where(sessions.c.held_on > today)):
        if isinstance(held_on, str):  # SQLite hands dates back as text here
            year, month = int(held_on[:4]), int(held_on[5:7])
        else:
            year, month = held_on.year, held_on.month
        owed[(user_id, year, month, category)] += minutes * 60
    for (user_id, year, month, category), seconds in owed.items():
        bind.execute(sa.update(credits).where(
            credits.c.user_id == user_id, credits.c.year == year, credits.c.month == month,
            credits.c.category == category, credits.c.source == 'offline').values(seconds=credits.c.seconds - seconds))


def downgrade():
    op.drop_table('certificate_settings')
    op.drop_index('ix_notices_user_read', table_name='notices')
    op.drop_index('ix_notices_kind_topic', table_name='notices')
    op.drop_table('notices')
    op.drop_column('offline_sessions', 'confirmed_at')  # SQLite 3.35+ drops a column in place
    op.drop_table('shufa_texts')
