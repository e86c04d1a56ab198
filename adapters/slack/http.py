"""Serving a Bolt `AsyncApp` over aiohttp at `/slack/events`, with input hygiene, replay protection and an
idle gate.

Shared by the bot and by the benchmark's bare app, so both are served exactly the same way.

Before Bolt sees a request, it must pass, in this order (each refusal is one log line, never a traceback):

1. a body size cap (413): a declared Content-Length over the cap is refused before the body is read;
2. the signature (401): the HMAC is checked over the raw bytes, five minutes' clock skew at most;
3. a replay check (401): a signature seen before, in this process or (with `claim`) any process
   sharing the database;
4. the body's shape (400): UTF-8, and a JSON object (or a form whose `payload` is a JSON object);
5. with `durable`, the inbox: a request the adapter keeps (a chat message, a slash command, a button
   click) is written to the database before Bolt acks it. A second delivery of a stored event gets 200
   and goes no further; a failed write gets 503, so Slack retries instead of hearing 200 for an event
   that could be lost.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_AGE = 60 * 5  # Slack's rule: reject requests signed more than five minutes ago
# Slack's largest payloads (a 40,000-character message event with its rich-text blocks, a modal's view)
# stay well under this; anything bigger is refused before it is read or verified.
MAX_BODY = 512 * 1024


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


class BadRequest(Exception):
    """A request refused before Bolt sees it: `status` and a one-line reason for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class AlreadyStored(Exception):
    """The event is in the inbox already (a retry or a replay): acknowledge it, process nothing."""


class ReplayGuard:
    """Refuses a request that is unsigned, signed with another secret, too old, or seen before.

    The signature is checked over the raw bytes, so a body that is not even UTF-8 gets a clean 401
    (unsigned) or 400 (signed) instead of a decoding error. A replay within Slack's five minutes gets
    401: seen in this process (memory), or, with `claim`, in any process sharing the database
    (`await claim(signature)` is False when the signature was recorded before; when it fails, the
    request is let through with a warning, and the core's event-id dedup still stops a second action).

    Slack's own retries are signed afresh (new timestamp and signature), so they pass here and
    are de-duplicated by event id in the core instead.
    """

    def __init__(self, signing_secret: str, max_age: int = MAX_AGE,
                 claim: Callable[[str], Awaitable[bool]] | None = None,
                 seen: Iterable[tuple[str, float]] = (), on_new: Callable[[str, float], None] | None = None) -> None:
        self.secret = signing_secret.encode()
        self.max_age = max_age
        self.claim = claim
        self.on_new = on_new  # told of each new signature (SQLite keeps them on disk for the next start)
        self._seen: OrderedDict[str, float] = OrderedDict(sorted(seen, key=lambda kv: kv[1]))

    def signed(self, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        """A valid, fresh signature over `body` (nothing is recorded)."""
        if not timestamp or not signature or not self.secret or len(timestamp) > 20:
            return False
        try:
            if abs(time.time() - int(timestamp)) > self.max_age:
                return False
        except ValueError:
            return False
        expected = "v0=" + hmac.new(self.secret, b"v0:" + timestamp.encode() + b":" + body,
                                    hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    async def first_time(self, signature: str) -> bool:
        """Record a verified signature; False when it was seen before (a replay)."""
        now = time.time()
        while self._seen and next(iter(self._seen.values())) < now - self.max_age:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now
        if self.on_new is not None:
            self.on_new(signature, now)
        if self.claim is not None:
            try:
                return await self.claim(signature)
            except Exception as exc:  # the database is down or slow: the core's event-id dedup still holds
                log.warning("shared replay check skipped: %s", type(exc).__name__)
        return True

    async def accept(self, body: bytes | str, timestamp: str | None, signature: str | None) -> bool:
        raw = body.encode() if isinstance(body, str) else body
        return self.signed(raw, timestamp, signature) and await self.first_time(signature or "")


def check_shape(text: str, content_type: str | None) -> dict:
    """Raise BadRequest(400) unless the body parses the way Bolt will parse it, into a JSON object;
    return that object."""
    if not text:
        raise BadRequest(400, "empty body")
    try:
        if content_type == "application/json" or text.startswith("{"):
            body = json.loads(text)
        else:
            form = dict(parse_qsl(text, keep_blank_values=True))
            body = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):
        raise BadRequest(400, "body is not valid JSON or form data") from None
    if not isinstance(body, dict):
        raise BadRequest(400, f"body is a JSON {type(body).__name__}, not an object")
    problem = _missing_fields(body)
    if problem:
        raise BadRequest(400, problem)
    return body


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


def _missing_fields(body: dict) -> str | None:
    """What a signed payload lacks that every listener relies on (None when it has it all)."""
    if "command" in body:  # a slash command (form fields)
        return None if _is_id(body.get("user_id")) else "slash command without user_id"
    kind = body.get("type")
    if not isinstance(kind, str):
        return None if "ssl_check" in body else "payload without a type"
    if kind == "event_callback":
        event = body.get("event")
        return None if isinstance(event, dict) and isinstance(event.get("type"), str) else "event without an event"
    if kind in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        user = body.get("user")
        if not isinstance(user, dict) or not _is_id(user.get("id")):
            return f"{kind} without a user id"
        if kind == "block_actions":
            actions = body.get("actions")
            if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
                return "block_actions without actions"
        if kind.startswith("view_"):
            view = body.get("view")
            if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str) \
                    or not isinstance(view.get("type"), str):
                return f"{kind} without a view type and callback_id"
            if not isinstance(view.get("state", {}), dict) or not isinstance(view.get("private_metadata", ""), str):
                return f"{kind} with a malformed view"
    return None


def web_app(bolt: AsyncApp, signing_secret: str, gate: IdleGate | None = None,
            path: str = EVENTS_PATH, *, claim: Callable[[str], Awaitable[bool]] | None = None,
            max_body: int = MAX_BODY, durable: Callable[[dict], Awaitable[bool]] | None = None,
            extra_routes: Callable[[web.Application], None] | None = None,
            replay_seen: Iterable[tuple[str, float]] = (),
            on_new_signature: Callable[[str, float], None] | None = None) -> web.Application:
    """An aiohttp application serving `bolt` at `path` (plus GET /health).

    `claim` shares replay protection between processes (see `ReplayGuard`); `replay_seen` are signatures
    seen before a restart and `on_new_signature` hears of each new one (to keep them); `max_body` caps a
    request's size in bytes; `durable(body)` writes an event to the inbox before the ack (False: seen
    before, answer 200 and stop); `extra_routes` adds routes (the operations endpoints).
    """
    guard = ReplayGuard(signing_secret, claim=claim, seen=replay_seen, on_new=on_new_signature)

    async def read(request: web.Request) -> AsyncBoltRequest:
        if request.content_length is not None and request.content_length > max_body:
            raise BadRequest(413, f"body of {request.content_length} bytes is over the {max_body}-byte cap")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise BadRequest(413, f"body is over the {max_body}-byte cap") from None
        headers = request.headers
        signature = headers.get("X-Slack-Signature")
        if not guard.signed(raw, headers.get("X-Slack-Request-Timestamp"), signature):
            raise BadRequest(401, "unsigned, wrongly signed or expired")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(400, "body is not UTF-8") from None
        body = check_shape(text, request.content_type)
        if not await guard.first_time(signature or ""):
            raise BadRequest(401, "replayed")
        if durable is not None:
            try:
                fresh = await durable(body)
            except Exception as exc:  # the database is down: no 200 for an event we could lose
                raise BadRequest(503, f"inbox write failed: {type(exc).__name__}") from None
            if not fresh:
                raise AlreadyStored()
        return AsyncBoltRequest(body=text, query=request.query_string, headers=headers)  # type: ignore[arg-type]

    async def events(request: web.Request) -> web.Response:
        if gate:
            gate.enter()
        try:
            try:
                bolt_request = await read(request)
            except AlreadyStored:
                log.info("slack event already in the inbox; acknowledged again, not processed again")
                return web.Response(status=200, text="")
            except BadRequest as refused:
                log.info("slack request refused (%d): %s", refused.status, refused)
                error = "invalid request" if refused.status == 401 else str(refused)
                return web.json_response({"error": error}, status=refused.status)
            try:
                response = await bolt.async_dispatch(bolt_request)
            except Exception as exc:  # a payload shape Bolt itself cannot read: still one line, no 500
                log.warning("slack request refused (400): Bolt could not read it: %s: %.200s",
                            type(exc).__name__, exc)
                return web.json_response({"error": "malformed request"}, status=400)
            return await to_aiohttp_response(response)
        finally:
            if gate:
                gate.leave()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=max_body)
    app.router.add_post(path, events)
    app.router.add_get("/health", health)
    if extra_routes is not None:
        extra_routes(app)
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
