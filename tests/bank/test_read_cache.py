"""The read cache between preview and apply: the file is read once, and only what this app wrote is trusted."""
import os
import time

import pytest

from bankfiles import GOOD_ROWS, make_xlsx
from quizapp.bank import importer
from quizapp.bank.rows import COLUMNS
from test_bank_views import questions_in, token_of, upload

DATA = make_xlsx({"题库": [COLUMNS] + GOOD_ROWS})


@pytest.fixture
def read_cache(tmp_path):
    return importer.ReadCache(tmp_path / "cache", "secret", keep=3)


def test_apply_after_preview_does_not_read_the_file_again(client, org, jia_bank, monkeypatch):
    """Does the apply request take the preview's reading from the cache instead of reading the file again?"""
    client.login("org_jia")
    token = token_of(upload(client, jia_bank, DATA))

    def no_second_read(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(importer, "read_questions", no_second_read)
    client.post(f"/banks/{jia_bank.id}/import/apply", data={"token": token})
    assert len(questions_in(jia_bank)) == 3


def test_entry_is_the_same_reading(read_cache):
    """Is a cached reading equal to a fresh one, and kept apart by file name and type codes?"""
    fresh = importer.read_questions(DATA, "a.xlsx")
    read_cache.put(DATA, "a.xlsx", None, fresh)
    again = read_cache.get(DATA, "a.xlsx", None)
    assert [(a.sheet, a.row, a.values) for a in again.accepted] == [(a.sheet, a.row, a.values) for a in fresh.accepted]
    assert again.report() == fresh.report()
    assert read_cache.get(DATA, "b.xlsx", None) is None
    assert read_cache.get(DATA, "a.xlsx", {"1": "single"}) is None


def test_tampered_or_foreign_entry_is_ignored(read_cache, tmp_path):
    """Is an entry not signed with this app's key (changed on disk, or written by another key) never unpickled?"""
    read_cache.put(DATA, "a.xlsx", None, importer.read_questions(DATA, "a.xlsx"))
    [entry] = (tmp_path / "cache").glob("*.pickle")
    stored = entry.read_bytes()
    entry.write_bytes(stored[:-1] + bytes([stored[-1] ^ 1]))
    assert read_cache.get(DATA, "a.xlsx", None) is None
    entry.write_bytes(stored)
    assert importer.ReadCache(tmp_path / "cache", "another secret").get(DATA, "a.xlsx", None) is None


def test_cache_is_bounded(read_cache, tmp_path):
    """Does the cache keep only the newest entries (and none older than its age limit)?"""
    preview = importer.read_questions(DATA, "a.xlsx")
    stale = read_cache._path(DATA, "stale.xlsx", None)
    read_cache.put(DATA, "stale.xlsx", None, preview)
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    for index in range(4):
        read_cache.put(DATA, f"{index}.xlsx", None, preview)
        os.utime(read_cache._path(DATA, f"{index}.xlsx", None), (time.time() - 100 + index,) * 2)
    read_cache.put(DATA, "last.xlsx", None, preview)
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 3
    assert not stale.exists() and read_cache.get(DATA, "0.xlsx", None) is None
    assert read_cache.get(DATA, "3.xlsx", None) is not None and read_cache.get(DATA, "last.xlsx", None) is not None
