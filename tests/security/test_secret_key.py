"""Finding 1: guessable secret keys must not start in production."""
import secrets

import pytest

from quizapp import create_app
from quizapp.config import appears_in_repository, weak_secret_key

# A key that is long and varied but written here, in the repository, so it is public.
PUBLISHED_KEY = "Vq7RkM2xw9TfL3hZpB8nC4yJ6dGs1eAu"


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("QUIZAPP_ENV", "production")

    def start(key):
        monkeypatch.setenv("SECRET_KEY", key)
        return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})

    return start


@pytest.mark.parametrize("key", [
    "change-me-change-me", "aaaaaaaaaaaaaaaa", "your-secret-key-here",
    "test-secret-key-not-for-production",  # the key tests/conftest.py used to write down
    "a-long-random-production-secret-value",  # the one tests/security/test_baseline.py used
    "bench-secret-key-0123456789",  # benchmarks/bench_exam.py
    "abababababababababababababababababab", "0123456789abcdef0123456789abcdef",
    "Xk3" * 12, "short-Xk3m9Q", PUBLISHED_KEY,
])
def test_guessable_secret_keys_refused_in_production(production, key):
    """Does production refuse short, low-entropy, sample and published keys, and say how to make one?"""
    with pytest.raises(RuntimeError, match="SECRET_KEY") as refused:
        production(key)
    assert "secrets.token_hex(32)" in str(refused.value)


def test_generated_secret_key_starts_in_production(production):
    """Does a key made as the error message says start the app?"""
    assert production(secrets.token_hex(32)).config["PRODUCTION"] is True
    assert production(secrets.token_urlsafe(32)).config["PRODUCTION"] is True


def test_published_key_is_named_with_the_file_it_is_in():
    """Does the refusal of a key found in the repository name the file, so it can be removed?"""
    assert appears_in_repository(PUBLISHED_KEY) == "tests/security/test_secret_key.py"
    assert "test_secret_key.py" in weak_secret_key(PUBLISHED_KEY)
    assert appears_in_repository(secrets.token_hex(32)) is None


def test_generated_keys_are_never_called_weak():
    """Does the entropy rule leave every real generated key alone (no random start-up failure)?"""
    for _ in range(2000):
        key = secrets.token_hex(32)
        assert weak_secret_key(key, root="/nonexistent") is None, key
