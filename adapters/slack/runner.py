"""`debate-bot run slack`: HTTP mode (aiohttp at /slack/events) by default, Socket Mode on request."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings, *, socket_mode: bool = False, port: int = 3000, host: str = "0.0.0.0",
                stop: asyncio.Event | None = None, ready: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM)."""
    from adapters.slack.app import SlackAdapter
    from adapters.slack.http import EVENTS_PATH
    from adapters.slack.http import serve as serve_http

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    adapter = SlackAdapter(settings)
    await adapter.start()
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
            handler = AsyncSocketModeHandler(adapter.app, app_token, web_client=adapter.client)
            await handler.connect_async()
            close = handler.close_async
            print("Slack app connected over Socket Mode. Ctrl+C to stop.", flush=True)
        elif settings.role == "scheduler":  # the round timers only: no /slack/events, ops on OPS_PORT
            from adapters import ops

            runner = await ops.serve(adapter.service, host, settings.ops_port or port)
            close = runner.cleanup
            print(f"Slack scheduler running; /readyz on port {settings.ops_port or port}. Ctrl+C to stop.", flush=True)
        else:  # "all" or "web": /slack/events plus /healthz, /readyz and /metrics on the same port
            runner = await serve_http(adapter.web_app(), host, port)
            close = runner.cleanup
            print(f"Slack app listening on http://{host}:{port}{EVENTS_PATH} . Ctrl+C to stop.", flush=True)
        try:
            if ready:
                ready.set()
            await stop.wait()
        finally:
            await close()
    finally:
        await adapter.stop()


def run(settings: Settings, socket_mode: bool = False, port: int = 3000, host: str = "0.0.0.0") -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings, socket_mode=socket_mode, port=port, host=host))
