"""/healthz, /readyz and /metrics (adapters/ops.py over bot/ops.py) on every process role (issue 12)."""

from __future__ import annotations

import aiohttp
from sqlalchemy import text

from adapters import ops as ops_http
from bot.config import Settings
from bot.storage import db
from tests.fakes.clock import VirtualClock
from tests.fakes.room import Room
from tests.slack.conftest import SlackHarness


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_a_scheduler_process_is_ready_with_the_lock_and_exports_metrics(settings: Settings) -> None:
    async with Room(settings, clock=VirtualClock()) as room:
        await room.say("/debate practice diplomacy pro")
        await room.say("/debate help")
        runner = await ops_http.serve(room.service, "127.0.0.1", 0)
        try:
            host, port = runner.addresses[0][:2]
            base = f"http://{host}:{port}"
            assert (await get(f"{base}/healthz"))[0] == 200
            status, body = await get(f"{base}/readyz")
            assert status == 200 and '"migrated": true' in body and '"scheduler_lock": true' in body, body
            status, metrics = await get(f"{base}/metrics")
            assert status == 200
            for line in ('debate_scheduler_lock_held{platform="shell"} 1.0',
                         'debate_active_rounds{platform="shell"} 1.0',
                         'debate_inbox_depth{platform="shell"} 0.0',
                         'debate_database_up{platform="shell"} 1.0',
                         'debate_events_handled_total{kind="command",outcome="ok",platform="shell"}'):
                assert line in metrics, line
            for name in ("debate_database_latency_seconds", "debate_scheduler_lag_seconds_bucket",
                         "debate_platform_api_errors"):
                assert name in metrics, name

            # A database that is not migrated to this release's head is not ready.
            with room.service.engine_db.begin() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
            status, body = await get(f"{base}/readyz")
            assert status == 503 and '"migrated": false' in body, body
        finally:
            await runner.cleanup()


async def test_a_standby_scheduler_is_not_ready(settings: Settings) -> None:
    clock = VirtualClock()
    async with Room(settings, clock=clock) as first, Room(settings, clock=clock) as second:
        assert first.service.rounds_runtime.is_leader() and not second.service.rounds_runtime.is_leader()
        runner = await ops_http.serve(second.service, "127.0.0.1", 0)
        try:
            host, port = runner.addresses[0][:2]
            status, body = await get(f"http://{host}:{port}/readyz")
            assert status == 503 and '"scheduler_lock": false' in body, body
            assert (await get(f"http://{host}:{port}/healthz"))[0] == 200
            # a worker role (no scheduler) needs no lock to be ready
            ready_runner = await ops_http.serve(second.service, "127.0.0.1", 0, needs_scheduler=False)
            try:
                host, port = ready_runner.addresses[0][:2]
                assert (await get(f"http://{host}:{port}/readyz"))[0] == 200
            finally:
                await ready_runner.cleanup()
        finally:
            await runner.cleanup()


async def test_the_slack_worker_serves_them_beside_its_events(slack: SlackHarness) -> None:
    base = slack.url.removesuffix("/slack/events")
    assert (await get(f"{base}/healthz"))[0] == 200
    assert (await get(f"{base}/readyz"))[0] == 200
    status, metrics = await get(f"{base}/metrics")
    assert status == 200 and 'debate_inbox_depth{platform="slack"} 0.0' in metrics


def test_head_revision_is_the_migrations_head(database_url: str) -> None:
    from bot import ops

    assert ops.head_revision() == db.current_revision(database_url)
