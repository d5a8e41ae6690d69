"""Fixtures for question-bank tests: organisers in two townships and banks; file builders live in bankfiles.py."""
import pytest

from quizapp.bank import services
from quizapp.extensions import db


@pytest.fixture
def org(f, tree):
    """An organiser of 甲乡."""
    return f.user("org_jia", tree["jia"], role="organiser", name="卓玛")


@pytest.fixture
def other_org(f, tree):
    """An organiser of 乙乡, who must not reach 甲乡's banks."""
    return f.user("org_yi", tree["yi"], role="organiser")


@pytest.fixture
def jia_bank(tree):
    bank = services.create_bank(None, "甲乡自建题库", tree["jia"])
    db.session.commit()
    return bank


@pytest.fixture
def yi_bank(tree):
    bank = services.create_bank(None, "乙乡题库", tree["yi"])
    db.session.commit()
    return bank


@pytest.fixture
def system_bank(app):
    bank = services.create_bank(None, "宪法", None)
    db.session.commit()
    return bank
