"""Shared fixtures. Every test that touches the database runs on SQLite and again on PostgreSQL.

- PostgreSQL is found at TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
  When it is unreachable the PostgreSQL variants are skipped, and the summary says so plainly;
  with REQUIRE_POSTGRES=1 (set by .ci/run) they fail instead.
- DEBATE_TEST_DB=sqlite or DEBATE_TEST_DB=postgres runs one backend only.
- Each test gets a fresh, migrated database cloned from a per-session template.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.storage import db
from tests.fakes.clock import VirtualClock
from tests.fakes.room import Room

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES", "") not in ("", "0", "false", "no")
BACKENDS = [b for b in ("sqlite", "postgres") if os.environ.get("DEBATE_TEST_DB", b) == b]
_counter = itertools.count()

# Keep platform tokens and proxies of the developer's environment out of tests.
for _name in list(os.environ):
    if _name.startswith(("SLACK_", "DISCORD_")) or _name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(_name)
os.environ.pop("DATABASE_URL", None)


@cache
def postgres_problem() -> str | None:
    """None when PostgreSQL is reachable, else a one-line reason."""
    try:
        db.check_connection(db.make_engine(PG_URL))
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    problem = postgres_problem()
    if problem:
        yield ""
        return
    name = f"debate_tmpl_{os.getpid()}"
    db.upgrade(db.create_postgres_database(PG_URL, name))
    yield name
    db.drop_postgres_database(PG_URL, name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database URL on the parametrised backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    problem = postgres_problem()
    if problem:
        message = f"PostgreSQL run skipped: {problem}"
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES is set but {message}", pytrace=False)
        pytest.skip(message)
    template_name = request.getfixturevalue("postgres_template")
    name = f"debate_t_{os.getpid()}_{next(_counter)}"
    url = db.create_postgres_database(PG_URL, name, template=template_name)
    try:
        yield url
    finally:
        db.drop_postgres_database(PG_URL, name)


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for a test: a fresh database, a private data folder, no tokens, real time."""
    return Settings(_env_file=None, database_url=database_url, data_dir=tmp_path / "data", log_level="INFO",
                    time_scale=1.0)


@pytest.fixture
def clock() -> VirtualClock:
    """The virtual clock of a test: time moves only when the test moves it."""
    return VirtualClock()


@pytest.fixture
async def room_factory(settings: Settings, clock: VirtualClock) -> AsyncIterator[Callable[..., Any]]:
    """Shell rooms (tests/fakes/room.py) on the test's virtual clock, closed at the end of the test."""
    rooms: list[Room] = []

    async def factory(time_scale: float = 1.0) -> Room:
        room = Room(settings, clock=clock, time_scale=time_scale)
        await room.__aenter__()
        rooms.append(room)
        return room

    yield factory
    for room in reversed(rooms):
        await room.__aexit__(None, None, None)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """Say plainly how each database run went."""
    counts: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for backend in BACKENDS:
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid or f"-{backend}-" in nodeid:
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    terminalreporter.section("database runs")
    for backend in BACKENDS:
        c = counts[backend]
        line = ", ".join(f"{n} {k}" for k, n in c.items()) or "no database tests collected"
        terminalreporter.write_line(f"{backend}: {line}")
    if "postgres" in BACKENDS and postgres_problem():
        verb = "FAILED (REQUIRE_POSTGRES is set)" if REQUIRE_POSTGRES else "SKIPPED"
        terminalreporter.write_line(f"PostgreSQL run {verb}: {postgres_problem()}")
