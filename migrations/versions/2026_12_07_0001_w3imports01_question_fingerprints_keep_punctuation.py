"""bank: recompute question fingerprints, which now keep punctuation and case (issue 17, finding 2)

The duplicate check used to strip all punctuation, so "C++" equalled "C" and
a statement with "（ ）" equalled one without. Fingerprints now fold only
whitespace and full-width characters; stored ones are recomputed so that
duplicates against the bank are found with the new rule. The new folding is
finer than the old, so no two questions of a bank can collide.

Revision ID: w3imports01
Revises: w3curr01
Create Date: 2026-12-07 05:20:00

"""
import hashlib
import json
import re

from alembic import op
import sqlalchemy as sa


revision = 'w3imports01'
down_revision = 'w3curr01'
branch_labels = None
depends_on = None

# A copy of quizapp.bank.rows.fold_texts/fingerprint as of this revision (migrations must not follow later code).
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SPACE = re.compile(r"\s+")
BATCH = 1000


def _fingerprint(qtype, stem, options):
    folded = _SPACE.sub("", "\x00".join(t.replace("\x00", "") for t in [stem or "", *options]).translate(_WIDTH))
    folded = folded.split("\x00")
    return hashlib.sha256("\x1f".join([qtype, folded[0], *sorted(folded[1:])]).encode("utf-8")).hexdigest()


def upgrade():
    connection = op.get_bind()
    questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('qtype', sa.String),
                         sa.column('stem', sa.Text), sa.column('options', sa.JSON),
                         sa.column('fingerprint', sa.String))
    changed = []
    for qid, qtype, stem, options, old in connection.execute(
            sa.select(questions.c.id, questions.c.qtype, questions.c.stem, questions.c.options,
                      questions.c.fingerprint)):
        if isinstance(options, str):
            options = json.loads(options)
        new = _fingerprint(qtype, stem, list(options or []))
        if new != old:
            changed.append({'qid': qid, 'fp': new})
    update = sa.update(questions).where(questions.c.id == sa.bindparam('qid')).values(fingerprint=sa.bindparam('fp'))
    for start in range(0, len(changed), BATCH):
        connection.execute(update, changed[start:start + BATCH])


def downgrade():
    """Old fingerprints are not restored: they merged questions that differ, which is the bug this fixes."""
