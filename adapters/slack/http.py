"""Serving a Bolt `AsyncApp` over aiohttp at `/slack/events`, with replay protection and an idle gate.

Shared by the bot and by the benchmark's bare app, so both are served exactly the same way.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import OrderedDict

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

EVENTS_PATH = "/slack/events"
MAX_AGE = 60 * 5  # Slack's rule: reject requests signed more than five minutes ago


class IdleGate:
    """Post-ack work waits here until the HTTP side has been quiet for a moment.

    Ack first, then work: a burst of commands is acknowledged before any of them touches the
    database, so Slack's 3-second ack deadline never competes with handler work. "Quiet" means no
    request in flight for `quiet` seconds; `max_wait` bounds the delay under sustained load.
    """

    def __init__(self, quiet: float = 0.05, max_wait: float = 2.0) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.in_flight = 0
        self.last_activity = 0.0

    def enter(self) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def leave(self) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_activity = time.monotonic()

    @property
    def is_quiet(self) -> bool:
        return self.in_flight == 0 and time.monotonic() - self.last_activity >= self.quiet

    async def wait(self) -> None:
        deadline = time.monotonic() + self.max_wait
        await asyncio.sleep(0)  # let the HTTP response go out first
        while not self.is_quiet and time.monotonic() < deadline:
            idle_for = time.monotonic() - self.last_activity
            await asyncio.sleep(max(0.002, self.quiet - idle_for) if self.in_flight == 0 else self.quiet)


class ReplayGuard:
    """Refuses a signed request seen before: a replay within Slack's five minutes gets 401.

    Slack's own retries are signed afresh (new timestamp and signature), so they pass here and
    are de-duplicated by event id in the core instead.
    """

    def __init__(self, signing_secret: str, max_age: int = MAX_AGE) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.max_age = max_age
        self._seen: OrderedDict[str, float] = OrderedDict()

    def accept(self, body: str, timestamp: str | None, signature: str | None) -> bool:
        if not timestamp or not signature:
            return False
        now = time.time()
        try:
            if abs(now - int(timestamp)) > self.max_age:
                return False
        except ValueError:
            return False
        if not self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return False
        while self._seen and next(iter(self._seen.values())) < now - self.max_age:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now
        return True


def web_app(bolt: AsyncApp, signing_secret: str, gate: IdleGate | None = None,
            path: str = EVENTS_PATH) -> web.Application:
    """An aiohttp application serving `bolt` at `path` (plus GET /health)."""
    guard = ReplayGuard(signing_secret)

    async def events(request: web.Request) -> web.Response:
        if gate:
            gate.enter()
        try:
            bolt_request = await to_bolt_request(request)
            headers = request.headers
            if not guard.accept(bolt_request.raw_body, headers.get("X-Slack-Request-Timestamp"),
                                headers.get("X-Slack-Signature")):
                return web.json_response({"error": "invalid request"}, status=401)
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))
        finally:
            if gate:
                gate.leave()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post(path, events)
    app.router.add_get("/health", health)
    return app


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start `app` on host:port; the caller cleans up the returned runner.

    Everything loaded so far (libraries, the service) is moved out of the garbage collector's way
    (`gc.freeze`), so collections during request handling only scan objects made per request.
    """
    gc.collect()
    gc.freeze()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
