"""A fake Slack Web API on 127.0.0.1 (aiohttp): records every call, answers like Slack.

- ``POST /api/<method>``: Web API methods (form or JSON bodies). Answers auth.test, chat.*, views.*,
  users.info, files.getUploadURLExternal / completeUploadExternal, apps.connections.open; any other
  method gets ``{"ok": true}``.
- ``POST /response/<id>``: a `response_url` (put ``fake.response_url()`` into the payload).
- ``POST /upload/<file_id>``: the upload URL handed out by files.getUploadURLExternal.
- ``GET /socket``: a Socket Mode WebSocket; sends ``hello`` then whatever `push_envelope` queues.
- ``GET /_calls``: everything recorded so far, as JSON (handy by hand).

Platform errors: ``fake.fail_next("chat.postMessage", times=1, status=429)`` makes the next call(s) of a
method answer HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}`` as Slack does, or a
500/503. A refused call goes to ``fake.refused``, never to ``fake.calls`` (what Slack accepted).

By hand: ``python -m tests.fakes.slack_fake --port 8091`` prints each call as it arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from tests.fakes.server import new_app, start_app

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"


@dataclass
class Call:
    method: str  # Web API method, "response_url", or "upload"
    params: dict[str, Any]
    path: str = ""
    token: str = ""
    status: int = 200  # the HTTP status the fake answered (429 or 5xx for a refused call)

    def blocks_text(self) -> str:
        """All text in the call's blocks and `text`, for assertions."""
        return json.dumps({k: v for k, v in self.params.items() if k in ("text", "blocks", "view")},
                          ensure_ascii=False)


SERVER_ERRORS = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable", 504: "request_timeout"}


@dataclass
class Fault:
    """The next `times` calls of `method` whose text contains `contains` are refused with HTTP `status`."""

    method: str
    times: int
    status: int
    retry_after: int
    contains: str = ""

    def response(self) -> web.Response:
        if self.status == 429:  # https://api.slack.com/apis/rate-limits: Retry-After in whole seconds
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        return web.json_response({"ok": False, "error": SERVER_ERRORS.get(self.status, "fatal_error")},
                                 status=self.status)


@dataclass
class SlackFake:
    host: str = "127.0.0.1"
    port: int = 0
    verbose: int = 0  # 1: one line per call, 2: full payloads
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # users.info answers by id
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error to answer with
    calls: list[Call] = field(default_factory=list)
    refused: list[Call] = field(default_factory=list)  # calls answered 429 or 5xx by `fail_next`
    faults: list[Fault] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _envelopes: asyncio.Queue[dict[str, Any]] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> SlackFake:
        self._envelopes = asyncio.Queue()
        app = new_app()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{rid}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        app.router.add_get("/_calls", self._dump)
        self._runner, self.port = await start_app(app, self.host, self.port)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self) -> SlackFake:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return self.url + "/api/"  # the trailing slash matters: the SDK joins URLs with urljoin

    def response_url(self) -> str:
        return f"{self.url}/response/{uuid.uuid4().hex[:12]}"

    # -- inspection ----------------------------------------------------------------------------------
    def of(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[Call]:
        """Poll until `predicate(calls)` is truthy; returns the calls. Fails with what was seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.calls):
                return self.calls
            await asyncio.sleep(0.02)
        seen = [(c.method, c.params.get("text", "")[:80]) for c in self.calls]
        raise AssertionError(f"timed out waiting; calls so far: {seen}")

    async def wait_call(self, method: str, contains: str = "", timeout: float = 10.0, start: int = 0) -> Call:
        def match(c: Call) -> bool:
            return c.method == method and contains in c.blocks_text()

        await self.wait_for(lambda calls: any(match(c) for c in calls[start:]), timeout)
        return next(c for c in self.calls[start:] if match(c))

    def fail_next(self, method: str, times: int = 1, *, status: int = 429, retry_after: int = 1,
                  contains: str = "") -> None:
        """Refuse the next `times` calls of `method` (only those whose text contains `contains`) with HTTP
        `status`: 429 (with `Retry-After: retry_after`, in whole seconds as Slack sends it) or a 5xx."""
        assert status == 429 or status >= 500, "a platform error: 429 or 5xx"
        self.faults.append(Fault(method, times, status, retry_after, contains))

    def _fault(self, call: Call) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == call.method and fault.contains in call.blocks_text():
                fault.times -= 1
                return fault
        return None

    def push_envelope(self, envelope: dict[str, Any]) -> None:
        assert self._envelopes is not None
        self._envelopes.put_nowait(envelope)

    # -- handlers --------------------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if self.verbose:
            text = call.params.get("text") or call.params.get("view", "")
            print(f"[fake slack] {call.method} {json.dumps(call.params, ensure_ascii=False)[:4000]}"
                  if self.verbose >= 2 else f"[fake slack] {call.method}: {str(text)[:300]}", flush=True)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)  # the SDK sends some methods' arguments in the URL
        if request.method == "GET":
            return params
        if request.content_type == "application/json":
            return params | await request.json()
        params.update(parse_qsl(await request.text(), keep_blank_values=True))
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or str(params.get("token", ""))
        call = Call(method, params, request.path, token)
        if (fault := self._fault(call)) is not None:
            call.status = fault.status
            self.refused.append(call)
            if self.verbose:
                print(f"[fake slack] {method}: refused with HTTP {fault.status}", flush=True)
            return fault.response()
        self._record(call)
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake team", "user": "debatebot",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = params.get("ts") or self._next_ts()
            key = "message_ts" if method == "chat.postEphemeral" else "ts"
            return {"ok": True, "channel": params.get("channel"), key: ts,
                    "message": {"text": params.get("text"), "ts": ts, "bot_id": BOT_ID}}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:10].upper(), **(params.get("view") or {})}}
        if method == "users.info":
            uid = str(params.get("user", ""))
            user = {"id": uid, "name": uid.lower(), "real_name": f"User {uid}", "is_admin": False,
                    "is_owner": False, "profile": {"display_name": f"user-{uid.lower()}"}}
            user.update(self.users.get(uid, {}))
            return {"ok": True, "user": user}
        if method == "files.getUploadURLExternal":
            file_id = "F" + uuid.uuid4().hex[:10].upper()
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://{self.host}:{self.port}/socket"}
        return {"ok": True}

    async def _response(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        self._record(Call("response_url", params, request.path))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        self._record(Call("upload", {"file_id": request.match_info["file_id"], "size": len(data)}, request.path))
        return web.Response(text=f"OK - {len(data)}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "AFAKE"}})
        assert self._envelopes is not None
        envelopes = self._envelopes

        async def pump() -> None:
            while not ws.closed:
                envelope = await envelopes.get()
                await ws.send_json(envelope)

        sender = asyncio.create_task(pump())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    ack = json.loads(msg.data)
                    self.socket_acks.append(ack)
                    self._record(Call("socket_ack", ack, "/socket"))
        finally:
            sender.cancel()
        return ws

    async def _dump(self, _: web.Request) -> web.Response:
        return web.json_response([{"method": c.method, "params": c.params} for c in self.calls])


async def _main(port: int, verbose: int) -> None:
    fake = SlackFake(port=port, verbose=verbose)
    await fake.start()
    print(f"fake Slack Web API at {fake.api_base} (response_url: {fake.url}/response/<id>)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("-v", "--verbose", action="count", default=1, help="-vv prints full payloads")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing per call")
    args = parser.parse_args()
    if args.quiet:
        args.verbose = 0
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.port, args.verbose))


if __name__ == "__main__":
    main()
