"""The aiohttp start-up code the fake Discord and the fake Slack share."""

from __future__ import annotations

from aiohttp import web


async def start_app(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app` on host:port (0 picks a free port); returns the runner and the port it got."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server  # aiohttp has no public accessor for the bound socket
    bound = server.sockets[0].getsockname()[1] if server is not None and server.sockets else port  # type: ignore[union-attr]
    return runner, bound


def new_app() -> web.Application:
    """An application that accepts large bodies (articles, speeches, uploads), as both fakes need."""
    return web.Application(client_max_size=64 * 1024 * 1024)
