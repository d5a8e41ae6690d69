"""Exam fixtures: ``make_exam`` builds the usual exam for 甲乡 with its questions."""
from datetime import timedelta

import pytest

from factories import START


@pytest.fixture
def make_exam(clock, tree, f):
    """make_exam(**settings, rules=[(qtype, count)], points={...}) -> a published exam of the county for 甲乡.

    Unless ``fill`` is false, the default bank first gets two questions more than each rule draws; the window
    runs from an hour before START to two days after it.
    """

    def build(*, rules=(("single", 3), ("multiple", 1), ("judge", 1)), owner=None, audience=None, fill=True,
              **settings):
        if fill:
            for qtype, count in rules:
                f.questions(count + 2, qtype=qtype)
        settings.setdefault("open_at", START - timedelta(hours=1))
        settings.setdefault("close_at", START + timedelta(days=2))
        return f.exam(tree["admin"], owner=owner or tree["county"], audience=audience or [tree["jia"]], rules=rules,
                      **settings)

    return build
