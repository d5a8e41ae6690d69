"""Builders for test data that go through the app's own services."""
import functools
import itertools
from unittest import mock

from werkzeug.security import generate_password_hash

from quizapp.accounts import services
from quizapp.extensions import db

PASSWORD = "Passw0rd!x"
_counter = itertools.count(1)


@functools.lru_cache(maxsize=8)
def _cached_hash(password):
    """Hash each test password once per run: scrypt is slow on purpose, and tests make many people."""
    return generate_password_hash(password)


class Factories:
    def unit(self, name, parent=None, kind="organ"):
        unit = services.create_unit(None, name, parent, kind)
        db.session.commit()
        return unit

    def user(self, login=None, unit=None, *, role="cadre", password=PASSWORD, must_change=False, **values):
        login = login or f"user{next(_counter):04d}"
        if unit is None:
            unit = self.unit(f"单位{next(_counter)}")
        fields = {"name": values.pop("name", f"测试{login}"), "login": login, "unit_id": unit.id, "role": role,
                  "rank": values.pop("rank", "none"), "category": values.pop("category", "general"),
                  "shufa": values.pop("shufa", False), "title": values.pop("title", ""),
                  "phone": values.pop("phone", "")}
        with mock.patch.object(services, "generate_password_hash", _cached_hash):
            user, _ = services.create_user(None, fields, password=password)
        user.must_change_password = must_change
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()
        return user
