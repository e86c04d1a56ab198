"""The Slack adapter: a slack-bolt `AsyncApp` that turns Slack payloads into `Incoming` and renders replies.

No debate logic lives here. Every listener acks first, then waits for the idle gate, then calls
`DebateService.handle` and renders what comes back:

- ``/debate <text>``: parsed by `bot.commands.parse_text` (the one command table); a subcommand
  with required options typed alone opens a form (modal) built from the table;
- button clicks (``block_actions``): the button's value is the core command text (``join pro round:12``);
- form submissions (``view_submission``), message events (speeches in a round's thread),
  ``app_mention`` (``@bot help``) and ``app_home_opened`` (the Home tab).

Retries carry the same event id (Events API ``event_id``, or the ``trigger_id``), which the core
de-duplicates, so a retry never acts twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine, create_engine, delete, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url

from adapters import ops as ops_http
from adapters.slack import forms, render
from adapters.slack.http import IdleGate, web_app
from adapters.slack.messenger import SlackMessenger
from bot import chat, commands, hygiene
from bot.chat import Incoming, Kind, Outgoing, Place, Server, User
from bot.config import Settings
from bot.ports import Clock
from bot.service import DebateService, RetryLater
from bot.storage import models as m

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://slack.com/api/"
ADMIN_CACHE_SECONDS = 300.0
RECENT_EVENTS = 10_000  # event ids remembered in memory to drop Slack's retries
WORK_SLOTS = 2  # handler work running at once; the rest queue behind the idle gate
API_RETRIES = 3  # retries of one Web API call (429, 500/503, a dropped connection), all causes together
_MENTION_AT_START = re.compile(r"^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*")
_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_USER_EDITED_SUBTYPES = {"message_changed", "message_deleted"}
REPLAY_PLATFORM = "slack-sig"  # processed_events rows that record request signatures (replay protection)
REPLAY_KEEP_SECONDS = 15 * 60  # older signature rows are pruned; Slack refuses timestamps over 5 minutes old
_COMMAND_KEY, _ACTION_KEY = "cmd:", "act:"  # inbox keys of slash commands and button clicks (+ trigger id)
_REQUEST_KEYS = (_COMMAND_KEY, _ACTION_KEY)
INBOX_SWEEP_SECONDS = 5.0  # how often each process replays inbox events left unprocessed
INBOX_STALE_SECONDS = 10.0  # an unprocessed event this old is taken to be lost by its process
INBOX_PRUNE_EVERY = 720  # sweeps between prunes of processed inbox rows (an hour)
INBOX_KEEP_SECONDS = 86_400.0  # processed inbox rows are kept a day (Slack retries for minutes)
REPLAY_CLAIM_TIMEOUT = 1.0  # seconds the ack may wait for the shared replay check
REPLAY_WRITE_SECONDS = 1.0  # SQLite: how often new replay marks are written behind the ack
# A payload that lacks what a listener reads (a field, a number): one log line, no traceback.
_MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError)
_HANDLED_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


def event_time(ts: Any) -> datetime:
    """A Slack `ts` ("1700000000.000100") as UTC; now when it is missing or not a sane number."""
    try:
        when = float(ts)
        if 0 < when < 32_503_680_000:  # before the year 3000
            return datetime.fromtimestamp(when, UTC)
    except (TypeError, ValueError, OverflowError):
        pass
    if ts:
        log.info("unreadable Slack ts %.40r; using the time of arrival", ts)
    return datetime.now(UTC)


def ts_order_key(ts: Any) -> int | None:
    """A Slack `ts` ("1700000000.000100") as an exact integer of microseconds: the order Slack gave the
    messages, whatever order they arrive in. None when it is not a sane `ts`."""
    if not isinstance(ts, str) or len(ts) > 24:
        return None
    whole, _, frac = ts.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 6:
        return None
    return int(whole) * 1_000_000 + int(frac.ljust(6, "0") or 0)


def api_base(settings: Settings) -> str:
    base = settings.slack_api_base or DEFAULT_API_BASE
    return base if base.endswith("/") else base + "/"


def retry_handlers(max_retries: int = API_RETRIES) -> list[AsyncRetryHandler]:
    """slack_sdk's own retry handlers, as Slack asks: a 429 waits its `Retry-After` seconds (plus up to 1 s of
    jitter), a 500 or 503 and a dropped connection back off exponentially (0.5 s, 1 s, 2 s, plus jitter).

    The handlers share one attempt count per call, so a call is sent at most `max_retries` + 1 times; then
    the client raises `SlackApiError` (or the connection error) as before. Bolt's per-request clients copy
    these handlers from the app's client.
    """
    return [AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries)]


def web_client(token: str, base_url: str) -> AsyncWebClient:
    """The Web API client every Slack call of the bot goes through, with `retry_handlers()`."""
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers())


def slack_text_to_plain(text: str, *, mentions_as_ids: bool = False) -> str:
    """Slack's encoded text → what the person typed (links as their label, `&lt;` as `<`).

    Mentions become ``@U123`` in chat, or the bare id ``U123`` in commands, where the core looks
    users up by external id (`/debate stats @ann`).
    """

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return target[1:] if mentions_as_ids else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0]).lstrip("@")
        return label or target

    return chat.clean_user_text(html.unescape(_SLACK_LINK.sub(link, text or "")))



def replay_marks_engine(db_url: str, engine_db: Engine) -> Engine | None:
    """Where request signatures are marked as seen, so a replay is refused across processes and restarts.

    PostgreSQL: the shared database, checked before each ack on an autocommit connection whose commits need
    not wait for the disk (a mark lost in a crash only reopens that request's five-minute window; the core's
    event-id dedup still stops a second action). SQLite (one process): a file of its own beside the database
    (`<name>-replay.sqlite3`), written behind the ack about once a second and read at start-up, so the
    check itself stays in memory. None for an in-memory database.
    """
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        return create_engine(engine_db.url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT",
                             pool_size=2, connect_args={"connect_timeout": 5, "options": "-c synchronous_commit=off"})
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    marks = create_engine(f"sqlite:///{path.with_name(path.stem + '-replay.sqlite3')}",
                          connect_args={"timeout": REPLAY_CLAIM_TIMEOUT})

    @event.listens_for(marks, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API connection
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    m.ProcessedEvent.__table__.create(marks, checkfirst=True)
    return marks

class UserDirectory:
    """Display names and admin rights from users.info, cached briefly.

    Admin = a workspace admin or owner, or an id listed in SLACK_ADMIN_IDS.
    """

    def __init__(self, client: AsyncWebClient, admin_ids: str, ttl: float = ADMIN_CACHE_SECONDS) -> None:
        self.client = client
        self.admin_ids = {x.strip() for x in admin_ids.split(",") if x.strip()}
        self.ttl = ttl
        self._cache: dict[str, tuple[float, str, bool]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def lookup(self, user_id: str, fallback_name: str = "") -> tuple[str, bool]:
        hit = self._cache.get(user_id)
        if hit and hit[0] > time.monotonic():
            return hit[1], hit[2]
        async with self._locks.setdefault(user_id, asyncio.Lock()):
            hit = self._cache.get(user_id)
            if hit and hit[0] > time.monotonic():
                return hit[1], hit[2]
            name, admin, ttl = fallback_name or user_id, False, self.ttl
            try:
                info = (await self.client.users_info(user=user_id))["user"]
                profile = info.get("profile") or {}
                name = (profile.get("display_name") or info.get("real_name") or info.get("name")
                        or fallback_name or user_id)
                admin = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
            except (SlackApiError, KeyError, TypeError) as exc:
                log.warning("users.info failed for %s: %s", user_id, exc)
                ttl = 30.0  # try again soon
            admin = admin or user_id in self.admin_ids
            self._cache[user_id] = (time.monotonic() + ttl, name, admin)
            return name, admin


class SlackAdapter:
    """Owns the Bolt app, the core service and the Messenger; `web_app()` serves it over HTTP."""

    def __init__(self, settings: Settings, *, client: AsyncWebClient | None = None, clock: Clock | None = None,
                 update_interval: float = 1.0) -> None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        self.settings = settings
        self.signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret \
            else ""
        self.client = client or web_client(token, api_base(settings))
        self.messenger = SlackMessenger(self.client, update_interval=update_interval)
        # a web worker (role "web") only writes deadline rows; the scheduler role (or "all") runs the timers
        self.service = DebateService(settings, self.messenger, platform="slack", clock=clock,
                                     run_scheduler=settings.role in ("all", "scheduler"))
        self.users = UserDirectory(self.client, settings.slack_admin_ids)
        self.gate = IdleGate()
        self._slots = asyncio.Semaphore(WORK_SLOTS)
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._claims = 0
        self._replay_db: Engine | None = None  # replay marks shared across processes and restarts (claim_signature)
        self._new_marks: list[tuple[str, float]] = []  # SQLite: signatures not yet written to the marks file
        self._marker: asyncio.Task[None] | None = None
        self._stored: set[str] = set()  # event ids this process wrote to the inbox and has not processed yet
        self._claimed: set[str] = set()  # inbox events a replay here has claimed, not yet handled
        self._sweeper: asyncio.Task[None] | None = None
        # process_before_response=False: Bolt answers Slack as soon as ack() is called. Bolt's own logger
        # is a child of `slack_bolt`, so its level (and Socket Mode's payload dumps at DEBUG) follow the
        # level `bot.logs.configure` sets there, not the root's.
        self.app = AsyncApp(client=self.client, signing_secret=self.signing_secret or None,
                            process_before_response=False, request_verification_enabled=True,
                            raise_error_for_unhandled_request=True, logger=logging.getLogger("slack_bolt.app"))
        self.app.error(self.on_error)
        self._register()

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.service.start()
        # events acknowledged before a crash and never started, or started long ago (a live peer's are claimed)
        await self.replay_inbox(older_than=INBOX_STALE_SECONDS, unclaimed=True)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        self._marker = asyncio.get_running_loop().create_task(self._keep_marks())

    async def stop(self) -> None:
        for task in (self._sweeper, self._marker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._marker = None
        await asyncio.to_thread(self.write_marks, self.take_marks())
        await self.messenger.flush()
        await self.service.stop()
        if self._replay_db is not None:
            self._replay_db.dispose()
            self._replay_db = None

    def web_app(self) -> web.Application:
        if self._replay_db is None:
            self._replay_db = replay_marks_engine(self.service.db_url, self.service.engine_db)
        shared = self._replay_db is not None and self._replay_db.dialect.name == "postgresql"
        behind = self._replay_db is not None and not shared
        return web_app(self.app, self.signing_secret, self.gate, claim=self.claim_signature if shared else None,
                       replay_seen=self.recent_signatures() if behind else (),
                       on_new_signature=self.mark_new if behind else None,
                       durable=self.store_event,
                       extra_routes=lambda app: ops_http.add_routes(app, self.service))  # /healthz /readyz /metrics

    # -- the inbox: nothing acknowledged is lost ------------------------------------------------------
    @staticmethod
    def keeps(body: dict[str, Any]) -> bool:
        """Is this Events API callback a chat message the bot processes (so it goes to the inbox)?"""
        event = body.get("event")
        if not isinstance(event, dict) or event.get("type") != "message" or not isinstance(body.get("event_id"), str):
            return False
        if event.get("bot_id") or event.get("subtype") not in _HANDLED_SUBTYPES or not event.get("user"):
            return False
        mention = _MENTION_AT_START.match(event.get("text") or "")
        bots = {a.get("user_id") for a in body.get("authorizations") or [] if isinstance(a, dict)}
        return not (mention and mention.group(1) in bots)

    @classmethod
    def inbox_key(cls, body: dict[str, Any]) -> str | None:
        """The inbox key of a request the bot must not lose after its 200: a chat message (its event id),
        a slash command or a button click (its trigger id, which Slack makes once per user action, and
        which the reply's `response_url` comes with); None for anything else."""
        if cls.keeps(body):
            return str(body["event_id"])
        trigger, response_url = body.get("trigger_id"), body.get("response_url")
        if not (isinstance(trigger, str) and trigger and isinstance(response_url, str) and response_url):
            return None
        if isinstance(body.get("command"), str):
            return f"{_COMMAND_KEY}{trigger}"
        if body.get("type") == "block_actions":
            action = (body.get("actions") or [{}])[0]
            if isinstance(action, dict) and not str(action.get("action_id", "")).startswith(render.FORM_PREFIX):
                return f"{_ACTION_KEY}{trigger}"  # a form button only opens a modal, which a replay could not
        return None

    async def store_event(self, body: dict[str, Any]) -> bool:
        """Write a chat message, slash command or button click to the inbox before the ack
        (`web_app(durable=...)`); False when it is there already (Slack's retry, or a replay sent to any
        process)."""
        key = self.inbox_key(body)
        if key is None:
            return True
        if key.startswith(_REQUEST_KEYS):  # in arrival order among the chunks (Slack's ts is epoch µs too)
            order = int(time.time() * 1_000_000)
        else:
            order = ts_order_key(body["event"].get("ts"))
        fresh = await asyncio.to_thread(self.service.inbox.put, key, body, order_key=order)
        if fresh:
            self._stored.add(key)
        return fresh

    async def _replay_request(self, body: dict[str, Any], key: str) -> None:
        """A slash command or button click from the inbox, answered through its stored `response_url`."""
        respond = AsyncRespond(response_url=body.get("response_url"))
        read = self._command_incoming if key.startswith(_COMMAND_KEY) else self._action_incoming
        incoming = await read(body, respond, None)
        if incoming is not None:
            await self._answer(incoming, key, respond)

    async def _claim(self, key: str | None) -> bool:
        """May this process handle the inbox event `key`? False when another process has claimed it."""
        if key is None or key not in self._stored:
            return True
        if key in self._claimed:  # a replay here claimed it already
            self._claimed.discard(key)
            return True
        try:
            if await asyncio.to_thread(self.service.inbox.claim, key):
                return True
        except Exception as exc:  # the database is failing: the handler will leave the row for the sweep
            log.warning("could not claim an inbox event: %s", type(exc).__name__)
            return True
        self._stored.discard(key)
        log.info("inbox event %s is being handled by another process", key)
        return False

    async def _release(self, key: str | None) -> None:
        """Give back the attempt a database failure cost (it is no fault of the event's); best effort."""
        if key is None or key not in self._stored:
            return
        self._stored.discard(key)
        try:
            await asyncio.to_thread(self.service.inbox.release, key)
        except Exception as exc:  # the database is still failing: the attempt stays counted
            log.warning("could not give back an inbox attempt: %s", type(exc).__name__)

    async def _finish_durable(self, key: str | None) -> None:
        """Mark an inbox event processed: the handler's transaction did already if it reached one; this
        covers events that never do (help, a usage error)."""
        if key is None or key not in self._stored:
            return
        self._stored.discard(key)
        try:
            await asyncio.to_thread(self.service.inbox.done, key)
        except Exception as exc:  # harmless: a replay is a duplicate the core drops
            log.warning("could not mark an inbox event done: %s", type(exc).__name__)

    async def replay_inbox(self, older_than: float = 0.0, unclaimed: bool = False) -> int:
        """Process inbox events left unprocessed (a crash after the ack, a database failure), in Slack's order;
        each is claimed first, so a peer that is handling it keeps it."""
        inbox = self.service.inbox
        try:
            pending = await asyncio.to_thread(inbox.pending, older_than=older_than, unclaimed=unclaimed)
            pending = [(k, b) for k, b, attempts in pending if await asyncio.to_thread(inbox.claim, k, attempts)]
        except Exception as exc:  # the database is down: the next sweep tries again
            log.warning("inbox replay skipped: %s", type(exc).__name__)
            return 0
        for key, body in pending:
            self._recent.pop(key, None)
            self._stored.add(key)
            self._claimed.add(key)
            if key.startswith(_REQUEST_KEYS):
                await self._work(lambda body=body, key=key: self._replay_request(body, key))
            else:
                await self._work(lambda body=body: self._chat_message(body, body.get("event") or {}))
        if pending:
            log.info("replayed %d inbox events", len(pending))
        return len(pending)

    async def _sweep(self) -> None:
        turns = 0
        while True:
            await asyncio.sleep(INBOX_SWEEP_SECONDS)
            await self.replay_inbox(older_than=INBOX_STALE_SECONDS)
            turns += 1
            if turns % INBOX_PRUNE_EVERY == 0:  # processed rows only guard against replays; a day is plenty
                try:
                    await asyncio.to_thread(self.service.inbox.prune, keep_seconds=INBOX_KEEP_SECONDS)
                except Exception as exc:
                    log.warning("inbox prune skipped: %s", type(exc).__name__)

    def recent_signatures(self) -> list[tuple[str, float]]:
        """Signatures written to the SQLite marks file within Slack's five minutes (read at start-up)."""
        assert self._replay_db is not None
        since = datetime.now(UTC) - timedelta(seconds=REPLAY_KEEP_SECONDS)
        try:
            with self._replay_db.connect() as conn:
                rows = conn.execute(select(m.ProcessedEvent.event_id, m.ProcessedEvent.created_at).where(
                    m.ProcessedEvent.platform == REPLAY_PLATFORM, m.ProcessedEvent.created_at >= since)).all()
        except Exception as exc:  # noqa: BLE001 - an unreadable file only loses the restart's protection
            log.warning("replay marks not read: %s", type(exc).__name__)
            return []
        return [(sig, at.replace(tzinfo=UTC).timestamp() if at.tzinfo is None else at.timestamp()) for sig, at in rows]

    def mark_new(self, signature: str, at: float) -> None:
        """Remember a new signature until `write_marks` writes it (SQLite)."""
        self._new_marks.append((signature, at))

    def take_marks(self) -> list[tuple[str, float]]:
        """The signatures seen since the last take (call it on the event loop, where `mark_new` appends)."""
        batch, self._new_marks = self._new_marks, []
        return batch

    def write_marks(self, batch: list[tuple[str, float]]) -> None:
        """Write these signatures to the SQLite marks file, in one transaction."""
        if not batch or self._replay_db is None or self._replay_db.dialect.name != "sqlite":
            return
        try:
            with self._replay_db.begin() as conn:
                conn.execute(sqlite_insert(m.ProcessedEvent).on_conflict_do_nothing(), [
                    {"platform": REPLAY_PLATFORM, "event_id": sig[:128], "created_at": datetime.fromtimestamp(at, UTC)}
                    for sig, at in batch])
                conn.execute(delete(m.ProcessedEvent).where(
                    m.ProcessedEvent.platform == REPLAY_PLATFORM,
                    m.ProcessedEvent.created_at < datetime.now(UTC) - timedelta(seconds=REPLAY_KEEP_SECONDS)))
        except Exception as exc:  # noqa: BLE001 - the in-memory check still holds until a restart
            log.warning("replay marks not written: %s", type(exc).__name__)

    async def _keep_marks(self) -> None:
        """Write new replay marks about once a second (SQLite), off the event loop."""
        while True:
            await asyncio.sleep(REPLAY_WRITE_SECONDS)
            if self._new_marks:
                await asyncio.to_thread(self.write_marks, self.take_marks())

    async def claim_signature(self, signature: str) -> bool:
        """Record a request's signature in the shared PostgreSQL database: False when any process saw it
        before (SQLite's single process checks in memory and writes its marks behind; see `write_marks`)."""
        return await asyncio.wait_for(asyncio.to_thread(self._claim_signature, signature), REPLAY_CLAIM_TIMEOUT)

    def _claim_signature(self, signature: str) -> bool:
        """One statement on an autocommit connection (the ack waits for it): insert, or find it there."""
        self._claims += 1
        assert self._replay_db is not None
        with self._replay_db.connect() as conn:
            if self._claims % 500 == 1:
                cutoff = datetime.now(UTC) - timedelta(seconds=REPLAY_KEEP_SECONDS)
                conn.execute(delete(m.ProcessedEvent).where(m.ProcessedEvent.platform == REPLAY_PLATFORM,
                                                            m.ProcessedEvent.created_at < cutoff))
            inserted = conn.execute(pg_insert(m.ProcessedEvent).values(
                platform=REPLAY_PLATFORM, event_id=signature[:128], created_at=datetime.now(UTC))
                .on_conflict_do_nothing().returning(m.ProcessedEvent.event_id)).first()
        return inserted is not None

    async def on_error(self, error: Exception, body: dict[str, Any], response: BoltResponse | None
                       ) -> BoltResponse | None:
        """Bolt's error handler: a request no listener takes, or a payload a listener can't read.

        After the ack (`response` is None) only the log line is left to give."""
        kind = body.get("type") if isinstance(body, dict) else None
        if response is None:
            if isinstance(error, _MALFORMED):
                log.warning("malformed Slack %s: %s: %.200s", kind or "request", type(error).__name__, error)
            else:
                log.error("Slack listener failed", exc_info=error)
            return None
        if isinstance(error, BoltUnhandledRequestError):
            if kind == "event_callback":  # an event we don't listen for: acknowledge it, or Slack retries
                return BoltResponse(status=200, body="")
            what = (body.get("view") or {}).get("callback_id") if kind and kind.startswith("view_") else None
            log.info("unhandled Slack request: %s%s", kind or body.get("command") or "unknown",
                     f" (callback_id {what!r:.60})" if what else "")
            return BoltResponse(status=400, body='{"error": "unhandled request"}',
                                headers={"content-type": "application/json"})
        if isinstance(error, _MALFORMED):
            log.warning("malformed Slack %s: %s: %.200s", kind or "request", type(error).__name__, error)
        else:
            log.error("Slack request failed", exc_info=error)
        return BoltResponse(status=400, body='{"error": "malformed request"}',
                            headers={"content-type": "application/json"})

    async def _work(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run handler work after the HTTP ack, a few at a time."""
        async with self._slots:
            await self.gate.wait()
            try:
                await action()
            except _MALFORMED as exc:
                log.warning("slack listener could not read the payload: %s: %.200s", type(exc).__name__, exc)
            except Exception:
                log.exception("slack listener failed")

    async def _handle(self, incoming: Incoming) -> list[Outgoing]:
        """Hand an event to the core once. The core de-duplicates event ids in its database; this
        in-memory check also covers commands that never touch the database (help)."""
        if incoming.event_id:
            if incoming.event_id in self._recent:
                log.info("duplicate Slack delivery dropped: %s", incoming.event_id)
                return []
            self._recent[incoming.event_id] = None
            while len(self._recent) > RECENT_EVENTS:
                self._recent.popitem(last=False)
        return await self.service.handle(incoming)

    # -- identities --------------------------------------------------------------------------------
    async def _user(self, user_id: str, name: str = "") -> User:
        display, admin = await self.users.lookup(user_id, name)
        return User(platform="slack", external_id=user_id, display_name=display, is_admin=admin)

    @staticmethod
    def _server(team_id: str, domain: str = "") -> Server:
        return Server(platform="slack", external_id=team_id or "unknown", name=domain)

    # -- listeners ---------------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.app
        app.command(re.compile(r"^/debate"))(self.on_command)
        app.action(re.compile(f"^({re.escape(render.RUN_PREFIX)}|{re.escape(render.FORM_PREFIX)})"))(self.on_action)
        app.view(re.compile(f"^{re.escape(forms.CALLBACK_PREFIX)}"))(self.on_view)
        app.event("message")(self.on_message)
        app.event("app_mention")(self.on_mention)
        app.event("app_home_opened")(self.on_home)

    async def on_command(self, ack: Any, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        incoming = await self._command_incoming(body, respond, client)
        if incoming is not None:
            await self._work(lambda: self._answer(incoming, self.inbox_key(body), respond))

    async def _answer(self, incoming: Incoming, key: str | None, respond: AsyncRespond) -> None:
        """Handle a command or button click and reply; an inbox event the database failed on stays pending."""
        incoming.durable = key is not None and key in self._stored
        if not await self._claim(key):
            return
        try:
            replies = await self._handle(incoming)
        except RetryLater:  # the database failed: the inbox row stays pending for the sweep
            self._recent.pop(incoming.event_id or "", None)
            await self._release(key)
            return
        await self._finish_durable(key)
        await self.deliver(replies, incoming, respond=respond)

    async def _command_incoming(self, body: dict[str, Any], respond: AsyncRespond,
                                client: AsyncWebClient | None) -> Incoming | None:
        """A slash command as the core's event; None when it was answered here (a form opened, a usage
        error). `client` is None for a command replayed from the inbox, which can open no modal."""
        key = self.inbox_key(body)
        text = slack_text_to_plain(body.get("text") or "", mentions_as_ids=True)
        place = Place(channel_id=body.get("channel_id", ""))
        server = self._server(body.get("team_id", ""), body.get("team_domain", ""))
        event_id = _COMMAND_KEY + (body.get("trigger_id") or hashlib.sha256(repr(sorted(body.items())).encode()).hexdigest())
        try:
            command = commands.get((text.split() or ["help"])[0].lower())
            if forms.wants_form(command, text) and body.get("trigger_id"):
                await self._finish_durable(key)
                if client is None:  # replayed: the trigger id that opens a modal lasts 3 s
                    raise commands.UsageError(f"`/debate {command.name}` was interrupted by a restart; "
                                              "please run it again.")
                await self._open_form(client, body["trigger_id"], server, command, {}, place)
                return None
            command, options = hygiene.check_text(text)
        except commands.UsageError as exc:
            await self._finish_durable(key)
            await respond(response_type="ephemeral", **render.payload(
                Outgoing(text=exc.reply, kind=Kind.ERROR, ephemeral=True)))
            return None
        return Incoming(server=server, user=await self._user(body["user_id"], body.get("user_name", "")),
                        place=place, command=command.name, options=options, text=text, event_id=event_id,
                        at=datetime.now(UTC))

    async def on_action(self, ack: Any, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        incoming = await self._action_incoming(body, respond, client)
        if incoming is not None:
            await self._work(lambda: self._answer(incoming, self.inbox_key(body), respond))

    async def _action_incoming(self, body: dict[str, Any], respond: AsyncRespond,
                               client: AsyncWebClient | None) -> Incoming | None:
        """A button click as the core's event; None when it was answered here (a form, a refused value)."""
        action = (body.get("actions") or [{}])[0]
        command_text = action.get("value") or action.get("action_id", "").partition(":")[2]
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
        place = Place(channel_id=channel, thread_id=message.get("thread_ts"))
        team = body.get("team") or {}
        server = self._server(team.get("id") or (body.get("user") or {}).get("team_id", ""), team.get("domain", ""))
        user_info = body.get("user") or {}
        if action.get("action_id", "").startswith(render.FORM_PREFIX):
            if client is None:
                return None
            try:
                command, given = forms.split_id(command_text)
                await self._open_form(client, body["trigger_id"], server, command, given, place)
            except (commands.UsageError, KeyError) as exc:
                log.info("cannot open form for %r: %s", command_text, exc)
            return None

        try:
            hygiene.check_text(str(command_text))
        except commands.UsageError as exc:
            log.info("button refused: %s", exc)
            await self._finish_durable(self.inbox_key(body))
            if body.get("response_url"):
                await respond(response_type="ephemeral", replace_original=False, **render.payload(
                    Outgoing(text=exc.reply, kind=Kind.ERROR, ephemeral=True)))
            return None
        return Incoming(server=server, user=await self._user(user_info.get("id", ""), user_info.get("username", "")),
                        place=place, action_id=command_text, event_id=f"{_ACTION_KEY}{body.get('trigger_id') or ''}"
                        f"{'' if body.get('trigger_id') else action.get('action_ts', '')}",
                        at=datetime.now(UTC))

    async def on_view(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            command, given, raw, place = forms.read_submission(view)
        except (commands.UsageError, *_MALFORMED) as exc:
            log.info("unreadable form submission %.60r: %s", view.get("callback_id"), exc)
            await ack()
            return
        try:
            options = commands.coerce(command, raw)
            hygiene.check_ids(command, options)
        except commands.UsageError as exc:
            await ack(response_action="errors", errors={forms.error_block(command, given, str(exc)): str(exc)})
            return
        await ack()
        user_info = body.get("user") or {}
        team = body.get("team") or {}
        server = self._server(team.get("id") or user_info.get("team_id", ""), team.get("domain", ""))

        async def work() -> None:
            incoming = Incoming(server=server, user=await self._user(user_info.get("id", ""),
                                                                     user_info.get("username", "")),
                                place=place, command=command.name, options=options,
                                event_id=f"view:{view.get('id', '')}:{view.get('hash', '')}", at=datetime.now(UTC))
            await self.deliver(await self._handle(incoming), incoming)

        await self._work(work)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        if event.get("bot_id") or subtype == "bot_message" or event.get("user") in (None, context.get("bot_user_id")):
            return  # never answer bots, including ourselves
        if subtype in _USER_EDITED_SUBTYPES:
            # A speech is taken when it is sent; edits and deletions don't change it.
            log.info("ignored %s in %s", subtype, event.get("channel"))
            return
        if subtype not in _HANDLED_SUBTYPES:
            return
        mention = _MENTION_AT_START.match(event.get("text") or "")
        if mention and mention.group(1) == context.get("bot_user_id"):
            return  # `@bot help` is handled by on_mention
        await self._work(lambda: self._chat_message(body, event))

    async def _chat_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        key = body.get("event_id")
        durable = isinstance(key, str) and key in self._stored
        if durable and not await self._claim(key):
            return
        place = Place(channel_id=event.get("channel", ""), thread_id=event.get("thread_ts"))
        incoming = Incoming(server=self._server(body.get("team_id") or event.get("team", "")),
                            user=await self._user(event["user"]), place=place,
                            text=slack_text_to_plain(event.get("text") or ""), event_id=key,
                            at=event_time(event.get("ts")), order_key=ts_order_key(event.get("ts")),
                            durable=durable)
        try:
            replies = await self._handle(incoming)
        except RetryLater:  # the database failed: the inbox row stays pending for the sweep
            self._recent.pop(key, None)
            await self._release(key)
            return
        if durable:
            await self._finish_durable(key)
        await self.deliver(replies, incoming)

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        """`@Debate Bot practice diplomacy` works like `/debate practice diplomacy`."""
        if event.get("bot_id") or event.get("user") in (None, context.get("bot_user_id")):
            return
        text = _MENTION_AT_START.sub("", event.get("text") or "", count=1)
        text = slack_text_to_plain(text, mentions_as_ids=True).strip()
        place = Place(channel_id=event.get("channel", ""), thread_id=event.get("thread_ts"))
        server = self._server(body.get("team_id") or event.get("team", ""))

        async def work() -> None:
            user = await self._user(event["user"])
            incoming = Incoming(server=server, user=user, place=place, text=text, event_id=body.get("event_id"),
                                at=datetime.now(UTC))
            try:
                command, options = hygiene.check_text(text)
            except commands.UsageError as exc:
                await self.deliver([Outgoing(text=exc.reply, kind=Kind.ERROR, ephemeral=True)], incoming)
                return
            incoming.command, incoming.options = command.name, options
            await self.deliver(await self._handle(incoming), incoming)

        await self._work(work)

    async def on_home(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return

        async def work() -> None:
            user = await self._user(event["user"])
            server = self._server(body.get("team_id", ""))
            place = Place(channel_id=event.get("channel", ""))
            sections: list[dict[str, Any]] = [
                {"type": "header", "text": render.plain_text("Debate practice", 150)},
                render.section(render.mrkdwn(
                    "Practise against the bot with `/debate practice`, or type `/debate help` in any channel.")),
            ]
            for name in ("leaderboard", "stats"):
                replies = await self.service.handle(Incoming(server=server, user=user, place=place, command=name))
                for reply in replies:
                    sections.append({"type": "divider"})
                    sections.extend(render.blocks(reply, with_buttons=False, max_blocks=45))
            await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": sections[:100]})

        await self._work(work)

    # -- forms ---------------------------------------------------------------------------------------
    async def _open_form(self, client: AsyncWebClient, trigger_id: str, server: Server,
                         command: commands.Command, given: dict[str, Any], place: Place) -> None:
        suggest: dict[str, list[tuple[str, str]]] = {}
        for opt in command.options:
            if opt.autocomplete and opt.name not in given and not opt.choices:
                try:
                    suggest[opt.name] = self.service.autocomplete(server, opt.autocomplete, "")
                except Exception:  # the engine may not be loadable; fall back to a text input
                    log.debug("no suggestions for %s", opt.autocomplete, exc_info=True)
        await client.views_open(trigger_id=trigger_id, view=forms.form_view(command, given, place, suggest=suggest))

    # -- replies -------------------------------------------------------------------------------------
    async def deliver(self, replies: list[Outgoing], incoming: Incoming, *, respond: AsyncRespond | None = None) -> None:
        """Post the core's replies: ephemeral ones to the caller only, the rest in the channel or thread."""
        for reply in replies:
            place = reply.place or incoming.place
            try:
                if reply.ephemeral:
                    await self._ephemeral(reply, incoming, place, respond)
                else:
                    await self._public(reply, incoming, place, respond)
            except SlackApiError as exc:
                self.service.metrics.api_error("reply")
                log.warning("could not deliver a reply: %s", exc.response.get("error"))

    async def _ephemeral(self, reply: Outgoing, incoming: Incoming, place: Place,
                         respond: AsyncRespond | None) -> None:
        if respond is not None and reply.place is None:
            await respond(response_type="ephemeral", replace_original=False, **render.payload(reply))
        elif place.channel_id:
            await self.client.chat_postEphemeral(channel=place.channel_id, user=incoming.user.external_id,
                                                 thread_ts=place.thread_id, **render.payload(reply))
        else:  # no channel (e.g. a form opened from the Home tab): a direct message
            await self.client.chat_postMessage(channel=incoming.user.external_id, **render.payload(reply))

    async def _public(self, reply: Outgoing, incoming: Incoming, place: Place, respond: AsyncRespond | None) -> None:
        try:
            await self.messenger.send(incoming.server, place, reply)
        except SlackApiError as exc:
            # The bot is not in this channel: answer through the command's response_url instead.
            if respond is None or exc.response.get("error") not in ("not_in_channel", "channel_not_found"):
                raise
            await respond(response_type="in_channel", replace_original=False, **render.payload(reply))
            if reply.image:
                log.info("rating chart not attached: the bot is not a member of %s", place.channel_id)
