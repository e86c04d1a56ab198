"""The operations endpoints of every process, on aiohttp (the core's `bot/ops.py` does the checking):

- `GET /healthz`: 200 while the process's event loop answers;
- `GET /readyz`: 200 when the database answers and is migrated to this release, and, for a process that
  runs the round scheduler, while it holds the scheduler lock; 503 otherwise, with the checks as JSON;
- `GET /metrics`: Prometheus metrics (events handled, inbox depth, active rounds, scheduler lag, lock
  holder, database latency, platform API errors).

The Slack HTTP worker serves them beside `/slack/events` (`add_routes`); the Discord bot and the
scheduler serve them on `OPS_PORT` (`serve`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from bot import ops

if TYPE_CHECKING:
    from bot.service import DebateService


def add_routes(app: web.Application, service: DebateService, *, needs_scheduler: bool | None = None) -> None:
    """Add /healthz, /readyz and /metrics for `service` to `app`."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "platform": service.platform})

    async def readyz(_: web.Request) -> web.Response:
        ready, checks = await asyncio.to_thread(ops.readiness, service, needs_scheduler=needs_scheduler)
        return web.json_response({"ready": ready, **checks}, status=200 if ready else 503)

    async def metrics(_: web.Request) -> web.Response:
        body = await asyncio.to_thread(service.metrics.render)
        return web.Response(body=body, headers={"Content-Type": ops.CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


def app_for(service: DebateService, *, needs_scheduler: bool | None = None) -> web.Application:
    app = web.Application()
    add_routes(app, service, needs_scheduler=needs_scheduler)
    return app


async def serve(service: DebateService, host: str, port: int, *,
                needs_scheduler: bool | None = None) -> web.AppRunner:
    """Serve the endpoints on host:port (0: any free port; see `runner.addresses`)."""
    runner = web.AppRunner(app_for(service, needs_scheduler=needs_scheduler), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
