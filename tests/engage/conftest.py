"""每日一练 fixtures: the clock (10:00 in Asia/Shanghai on 2026-12-07), and a signed-in cadre of 一村."""
from datetime import datetime, timezone

import pytest


@pytest.fixture
def clock_start():
    return datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def cadre(f, tree):
    return f.user("gb_daily", tree["v1"], name="李每日")


@pytest.fixture
def cadre_client(client, cadre):
    client.login("gb_daily")
    return client
