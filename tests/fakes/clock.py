"""A virtual clock: time moves only when a test moves it, so no outcome depends on machine speed.

Give it to a `DebateService` (through its adapter's constructor); the round scheduler reads the time from
it and sets no wall-clock timers of its own (`bot.rounds.scheduler.ClockScheduler`). The test then moves
time with `advance()` or `until()`: each step jumps to the next due timer, runs it, and waits until the
service is idle (no event handled, no timer running, every round's outbox empty) before the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a Monday, midday UTC


class VirtualClock:
    """The `Clock` port, moved by hand."""

    virtual = True  # the scheduler sets no wall-clock timers for this clock

    def __init__(self, start: datetime = START) -> None:
        self.at = start

    def now(self) -> datetime:
        return self.at

    def set(self, when: datetime) -> None:
        """Jump to `when` without running timers (as if the process had been down meanwhile)."""
        self.at = when

    # -- driving services --------------------------------------------------------------------------
    async def settle(self, *services: Any, extra: Callable[[], bool] | None = None) -> None:
        """Wait until every service is idle (and `extra()`, when given, says the adapter is idle too)."""
        quiet = 0
        for _ in range(100_000):
            busy = False
            for service in services:
                runtime = getattr(service, "rounds_runtime", None)
                if service.in_flight:
                    busy = True
                if runtime is not None and runtime.busy():
                    busy = True
                    await runtime.idle()
            if extra is not None and not extra():
                busy = True
            quiet = 0 if busy else quiet + 1
            if quiet >= 3:  # idle over three loop turns: nothing was about to start
                return
            await asyncio.sleep(0 if not busy else 0.002)
        raise AssertionError("the service never became idle")

    def next_due(self, *services: Any) -> datetime | None:
        times = []
        for service in services:
            runtime = getattr(service, "rounds_runtime", None)
            if runtime is not None and runtime.scheduler is not None:
                runtime.reconcile()  # rows written by other processes of the platform
                if (due := runtime.scheduler.next_due()) is not None:
                    times.append(due)
        return min(times) if times else None

    async def step(self, *services: Any, limit: datetime | None = None,
                   extra: Callable[[], bool] | None = None) -> bool:
        """Move to the next due timer (not past `limit`) and run it. False when there is none."""
        await self.settle(*services, extra=extra)
        due = self.next_due(*services)
        if due is None or (limit is not None and due > limit):
            return False
        self.at = max(self.at, due)
        for service in services:
            runtime = getattr(service, "rounds_runtime", None)
            if runtime is not None and runtime.scheduler is not None:
                runtime.scheduler.run_due()
        await self.settle(*services, extra=extra)
        return True

    async def advance(self, seconds: float, *services: Any, extra: Callable[[], bool] | None = None) -> None:
        """Let `seconds` of real (service) time pass, running every timer due meanwhile in order."""
        target = self.at + timedelta(seconds=seconds)
        while await self.step(*services, limit=target, extra=extra):
            pass
        self.at = max(self.at, target)
        await self.settle(*services, extra=extra)

    async def until(self, predicate: Callable[[], Any | Awaitable[Any]], *services: Any, what: str = "condition",
                    max_steps: int = 2000, extra: Callable[[], bool] | None = None,
                    context: Callable[[], str] = lambda: "", patience: float = 0.0) -> Any:
        """Run timers one by one until `predicate()` holds; fail if time runs out of timers first.

        `patience` (real seconds) keeps checking when no timer is left, for network replies still on their
        way (the platform fakes); the virtual clock does not move meanwhile.
        """
        async def check() -> Any:
            value = predicate()
            return (await value) if asyncio.iscoroutine(value) else value

        for _ in range(max_steps):
            await self.settle(*services, extra=extra)
            if value := await check():
                return value
            if not await self.step(*services, extra=extra):
                loop = asyncio.get_running_loop()
                give_up = loop.time() + patience
                while loop.time() < give_up:
                    await asyncio.sleep(0.02)
                    await self.settle(*services, extra=extra)
                    if value := await check():
                        return value
                    if self.next_due(*services) is not None:
                        break  # new work armed a timer meanwhile
                else:
                    break
        raise AssertionError(f"no timer left, and still not: {what}\n{context()}")
