"""Fixtures for question-bank tests: organisers in two townships and banks; file builders live in bankfiles.py."""
import pytest


@pytest.fixture
def org(f, tree):
    """An organiser of 甲乡."""
    return f.user("org_jia", tree["jia"], role="organiser", name="卓玛")


@pytest.fixture
def other_org(f, tree):
    """An organiser of 乙乡, who must not reach 甲乡's banks."""
    return f.user("org_yi", tree["yi"], role="organiser")


@pytest.fixture
def jia_bank(f, tree):
    return f.bank("甲乡自建题库", tree["jia"])


@pytest.fixture
def yi_bank(f, tree):
    return f.bank("乙乡题库", tree["yi"])


@pytest.fixture
def system_bank(f):
    return f.bank("宪法")
