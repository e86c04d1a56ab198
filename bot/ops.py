"""Operations: liveness, readiness and Prometheus metrics of one process (served by `adapters/ops.py`).

- `health()`: the process is alive (its event loop answers).
- `readiness(service)`: the database answers, it is migrated to this release's head, and, for a process
  whose role runs the round scheduler, this process holds the scheduler lock.
- `Metrics`: prometheus-client objects in a registry of the service's own (so several services in one
  process, as in tests, never clash): events handled, platform API errors and scheduler lag are counted
  as they happen; inbox depth, active rounds, the lock holder and database latency are read at scrape time.

prometheus-client is platform-free, so this lives in the core; only the HTTP server is an adapter.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from bot.rounds import states
from bot.storage import db
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.service import DebateService

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@cache
def head_revision() -> str | None:
    """The Alembic head of this release."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


def database_latency(service: DebateService) -> float:
    """Seconds for one `SELECT 1` round trip (raises when the database is unreachable)."""
    start = time.perf_counter()
    with service.engine_db.connect() as conn:
        conn.execute(text("SELECT 1"))
    return time.perf_counter() - start


def readiness(service: DebateService, *, needs_scheduler: bool | None = None) -> tuple[bool, dict[str, Any]]:
    """(ready, checks). `needs_scheduler` defaults to whether the service runs the scheduler."""
    checks: dict[str, Any] = {}
    try:
        checks["database_seconds"] = round(database_latency(service), 4)
        checks["database"] = True
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = False
        checks["database_error"] = type(exc).__name__
        return False, checks
    try:
        from alembic.runtime.migration import MigrationContext

        with service.engine_db.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # noqa: BLE001
        current = None
        checks["migration_error"] = type(exc).__name__
    checks["revision"], checks["head"] = current, head_revision()
    checks["migrated"] = current is not None and current == checks["head"]
    ready = checks["migrated"]
    if needs_scheduler if needs_scheduler is not None else service.run_scheduler:
        runtime = getattr(service, "rounds_runtime", None)
        checks["scheduler_lock"] = bool(runtime is not None and runtime.is_leader())
        ready = ready and checks["scheduler_lock"]
    return ready, checks


class _Live(Collector):
    """Gauges read when Prometheus scrapes: inbox depth, active rounds, lock holder, database latency."""

    def __init__(self, service: DebateService) -> None:
        self.service = service

    def collect(self) -> Iterator[Any]:
        service = self.service
        labels = [service.platform]
        leader = GaugeMetricFamily("debate_scheduler_lock_held", "1 when this process holds the scheduler lock "
                                   "of its platform (it runs the round timers)", labels=["platform"])
        runtime = getattr(service, "rounds_runtime", None)
        leader.add_metric(labels, 1.0 if runtime is not None and runtime.is_leader() else 0.0)
        yield leader
        up = GaugeMetricFamily("debate_database_up", "1 when the database answered the last scrape",
                               labels=["platform"])
        latency = GaugeMetricFamily("debate_database_latency_seconds", "one SELECT 1 round trip",
                                    labels=["platform"])
        try:
            latency.add_metric(labels, database_latency(service))
            up.add_metric(labels, 1.0)
        except Exception:  # noqa: BLE001
            up.add_metric(labels, 0.0)
            yield up
            return
        yield up
        yield latency
        depth = GaugeMetricFamily("debate_inbox_depth", "platform events acknowledged and not yet processed",
                                  labels=["platform"])
        active = GaugeMetricFamily("debate_active_rounds", "rounds in sign-up, running or judging on this platform",
                                   labels=["platform"])
        try:
            depth.add_metric(labels, float(service.inbox.depth()))
            with db.transaction(service.sessions) as session:
                count = session.scalar(select(func.count()).select_from(m.Round).join(
                    m.Server, m.Server.id == m.Round.server_id).where(
                    m.Server.platform == service.platform, m.Round.state.in_(states.ACTIVE))) or 0
            active.add_metric(labels, float(count))
        except Exception:  # noqa: BLE001 - a scrape never fails for a slow table
            return
        yield depth
        yield active


class Metrics:
    """The process's Prometheus metrics (see the module docstring)."""

    def __init__(self, service: DebateService) -> None:
        self.platform = service.platform
        self.registry = CollectorRegistry()
        self.events = Counter("debate_events_handled", "platform events handled (commands, clicks, messages)",
                              ["platform", "kind", "outcome"], registry=self.registry)
        self.api_errors = Counter("debate_platform_api_errors", "calls to the platform's API that failed",
                                  ["platform", "what"], registry=self.registry)
        self.scheduler_lag = Histogram("debate_scheduler_lag_seconds", "how late a round timer ran",
                                       ["platform"], registry=self.registry,
                                       buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
        self.scheduler_lag.labels(self.platform)  # every series is exported from the start, at zero
        self.api_errors.labels(self.platform, "reply")
        self.registry.register(_Live(service))

    def handled(self, kind: str, outcome: str) -> None:
        self.events.labels(self.platform, kind, outcome).inc()

    def api_error(self, what: str) -> None:
        self.api_errors.labels(self.platform, what).inc()

    def lag(self, seconds: float) -> None:
        self.scheduler_lag.labels(self.platform).observe(max(0.0, seconds))

    def render(self) -> bytes:
        """The text exposition format, for GET /metrics."""
        return generate_latest(self.registry)
