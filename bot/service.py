"""The core service: turns neutral `Incoming` events into `Outgoing` replies through the command table.

Adapters construct one `DebateService` with their `Messenger`, call `start()`, feed it every platform
event through `handle()`, and render what it returns. Each event runs in one database transaction:
an error rolls everything back, so nothing half-written stays behind.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

# Importing the handler modules registers their commands with the table (`commands.handles`).
from bot import admin, chat, commands, handlers, ops, ratings, stats  # noqa: F401
from bot.chat import Incoming, Outgoing
from bot.config import Settings
from bot.context import AfterCommit, Context, Reply, UserError, as_list, error
from bot.ports import Clock, Messenger, SystemClock
from bot.rounds import commands as round_commands
from bot.rounds import scheduler
from bot.storage import db, inbox, repo
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.engine import Engine

__all__ = ["DebateService", "RetryLater"]

log = logging.getLogger(__name__)

class RetryLater(Exception):
    """An inbox event (`Incoming.durable`) could not be handled because the database failed: nothing was
    committed, the inbox row stays pending, and it is replayed later (no error reply goes out)."""


class DebateService:
    def __init__(self, settings: Settings, messenger: Messenger, *, platform: str, clock: Clock | None = None,
                 run_scheduler: bool = True) -> None:
        self.settings = settings
        self.messenger = messenger
        self.platform = platform
        self.clock: Clock = clock or SystemClock()
        self.run_scheduler = run_scheduler
        self.time_scale = settings.time_scale
        self.db_url = settings.resolved_database_url
        self.engine_db = db.make_engine(self.db_url)
        self.sessions: sessionmaker[Session] = db.session_factory(self.engine_db)
        self.inbox = inbox.Inbox(self.engine_db, platform)  # events made durable before the platform's ack
        self.metrics = ops.Metrics(self)  # Prometheus metrics of this process (GET /metrics, adapters/ops.py)
        # Start/stop hooks let subsystems (the round scheduler) plug in without the service knowing them.
        self.on_start: list[Callable[[DebateService], Awaitable[None]]] = []
        self.on_stop: list[Callable[[DebateService], Awaitable[None]]] = []
        # Probes that say whether timed work is still due soon (a piped shell script waits for them).
        self.work_probes: list[Callable[[], bool]] = []
        self._engines: dict[int | None, Engine] = {}
        self.in_flight = 0  # events being handled now (a test driver waits for 0 before moving its clock)
        self._count_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.settings.ensure_data_dir()
        db.upgrade(self.db_url)
        ratings.install()  # rate each round as it finishes (a RoundFinished listener)
        await scheduler.install(self)  # the round scheduler: start/stop hooks and a pending-work probe
        for start in self.on_start:
            await start(self)
        log.info("service started", extra={"platform": self.platform})

    async def stop(self) -> None:
        for stop in reversed(self.on_stop):
            await stop(self)
        self.inbox.close()
        self.engine_db.dispose()
        log.info("service stopped", extra={"platform": self.platform})

    def pending_work(self) -> bool:
        return any(probe() for probe in self.work_probes)

    # -- engines per server article ----------------------------------------------------------------
    def engine_for(self, session: Session, settings_row: m.ServerSettings | None) -> Engine:
        from bot.engine import Engine, get_engine

        article_id = settings_row.article_id if settings_row else None
        if article_id not in self._engines:
            if article_id is None:
                self._engines[None] = get_engine(self.settings.default_article, self.settings.default_pack)
            else:
                article = session.get(m.Article, article_id)
                pack = max(article.packs, key=lambda p: p.id) if article and article.packs else None
                if article is None or pack is None:
                    return self.engine_for(session, None)
                self._engines[article_id] = Engine.from_texts(article.text, pack.body_yaml)
        return self._engines[article_id]

    def forget_engine(self, article_id: int) -> None:
        self._engines.pop(article_id, None)

    # -- events ------------------------------------------------------------------------------------
    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Handle one command, button click or chat message. Never raises for user mistakes."""
        with self._count_lock:
            self.in_flight += 1
        kind = "message" if incoming.is_message else "button" if incoming.is_button else "command"
        try:
            replies = await self._handle(incoming)
        except RetryLater:
            self.metrics.handled(kind, "retry")
            raise
        else:
            self.metrics.handled(kind, "error" if any(r.kind == chat.Kind.ERROR for r in replies) else "ok")
            return replies
        finally:
            with self._count_lock:
                self.in_flight -= 1

    async def _handle(self, incoming: Incoming) -> list[Outgoing]:
        extra = {"platform": self.platform, "server": incoming.server.external_id,
                 "user": incoming.user.external_id, "command": incoming.command or incoming.action_id}
        try:
            if incoming.user.is_bot:
                return []
            if incoming.action_id is not None:  # a button id is the text form of a command
                command, options = commands.parse_text(incoming.action_id)
                incoming.command, incoming.options = command.name, options
            if incoming.command is not None:
                command = commands.get(incoming.command)
                options = commands.coerce(command, incoming.options)
                if command.admin_only and not incoming.user.is_admin:
                    return [error(f"`{commands.ROOT} {command.name}` is for server admins only.")]
                handler = commands.handler_of(command)
                if command.stateless:  # e.g. help: nothing to store, so no transaction
                    return as_list(await handler(incoming, **options))
            else:  # a chat message: a speech, or audience chat
                options = {}
                handler = round_commands.on_message
            replies, after = await self._run(incoming, handler, options)
        except commands.UsageError as exc:
            log.info("usage error: %s", exc, extra=extra)
            return [error(exc.reply)]
        except UserError as exc:
            log.info("refused: %s", exc, extra=extra)
            return [error(str(exc))]
        except (db.DatabaseUnavailable, OperationalError, InterfaceError) as exc:
            if incoming.durable:
                log.warning("database failed; the event stays in the inbox: %s", type(exc).__name__, extra=extra)
                raise RetryLater(str(exc)) from exc
            log.error("%s", exc, extra=extra)
            return [error("The bot's database is unreachable right now; please try again in a minute.")]
        except Exception:
            log.exception("handler failed", extra=extra)
            return [error("Something went wrong on our side; nothing was changed. Please try again.")]
        log.info("handled %s", "message" if incoming.is_message else "event", extra=extra)
        for action in after:
            try:
                await action()
            except Exception:
                log.exception("after-commit action failed", extra=extra)
        return replies

    async def _run(self, incoming: Incoming, handler: Callable[..., Any],
                   options: dict[str, Any]) -> tuple[list[Outgoing], list[AfterCommit]]:
        if not inspect.iscoroutinefunction(handler):
            # A plain handler runs its whole transaction in a worker thread: the engine work it may do
            # (a bot speech, scoring) never blocks the event loop, so other rounds' timers stay on time.
            return await asyncio.to_thread(self._run_sync, incoming, handler, options)
        with db.transaction(self.sessions) as session:
            if incoming.event_id and not self._claim(session, incoming):
                return [], []
            server = repo.server(session, incoming.server)
            ctx = Context(self, incoming, session, server, repo.user(session, incoming.user),
                          repo.server_settings(session, server))
            replies = as_list(await handler(ctx, **options))
        return replies, ctx.after

    def _run_sync(self, incoming: Incoming, handler: Callable[..., Reply],
                  options: dict[str, Any]) -> tuple[list[Outgoing], list[AfterCommit]]:
        with db.transaction(self.sessions) as session:
            if incoming.event_id and not self._claim(session, incoming):
                return [], []
            server = repo.server(session, incoming.server)
            ctx = Context(self, incoming, session, server, repo.user(session, incoming.user),
                          repo.server_settings(session, server))
            replies = as_list(handler(ctx, **options))
        return replies, ctx.after

    def _claim(self, session: Session, incoming: Incoming) -> bool:
        """Record the event id in the handler's transaction; False for a duplicate. An inbox event is marked
        processed in this same transaction, so "processed" commits exactly with the handler's effects."""
        assert incoming.event_id is not None
        if incoming.durable:
            inbox.mark_done(session, self.platform, incoming.event_id)
        if not repo.claim_event(session, self.platform, incoming.event_id):
            log.info("duplicate event dropped", extra={"event": incoming.event_id})
            return False
        return True

    def autocomplete(self, server: chat.Server, kind: str, prefix: str) -> list[tuple[str, str]]:
        """Suggestions as (label, value) for motion, format, round and article options."""
        prefix = prefix.lower().strip()
        with db.transaction(self.sessions) as session:
            server_row = repo.server(session, server)
            settings_row = repo.server_settings(session, server_row)
            if kind == "motion":
                items = [(f"{mo.id}: {mo.text}", mo.id) for mo in self.engine_for(session, settings_row).motions()]
            else:
                items = round_commands.suggest(session, server_row, settings_row, kind)
        return [(label[:100], value) for label, value in items if prefix in label.lower()][:25]
