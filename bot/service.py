"""The core service: turns neutral `Incoming` events into `Outgoing` replies through the command table.

Adapters construct one `DebateService` with their `Messenger`, call `start()`, feed it every platform
event through `handle()`, and render what it returns. Each event runs in one database transaction:
an error rolls everything back, so nothing half-written stays behind.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from bot import chat, commands
from bot.chat import Incoming, Kind, Outgoing
from bot.config import Settings
from bot.ports import Clock, Messenger, SystemClock
from bot.storage import db, repo
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

Reply = Outgoing | list[Outgoing] | str | None
AfterCommit = Callable[[], Awaitable[Any]]


class UserError(Exception):
    """A friendly, expected refusal (bad input, wrong state). Shown to the caller; nothing is changed."""


@dataclass
class Context:
    """Everything a handler needs for one event, inside one transaction."""

    service: DebateService
    incoming: Incoming
    session: Session
    server: m.Server
    user: m.User
    settings: m.ServerSettings
    after: list[AfterCommit] = field(default_factory=list)

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` (e.g. a timed message) only once this event's transaction has committed."""
        self.after.append(action)

    @property
    def engine(self) -> Engine:
        return self.service.engine_for(self.session, self.settings)

    @property
    def is_admin(self) -> bool:
        return self.incoming.user.is_admin


def _resolve(path: str) -> Callable[..., Awaitable[Reply]]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _as_list(reply: Reply) -> list[Outgoing]:
    if reply is None:
        return []
    if isinstance(reply, str):
        return [Outgoing(text=reply)]
    if isinstance(reply, Outgoing):
        return [reply]
    return list(reply)


def error(text: str) -> Outgoing:
    return Outgoing(text=text, kind=Kind.ERROR, ephemeral=True)


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
        # Start/stop hooks let subsystems (the round scheduler) plug in without the service knowing them.
        self.on_start: list[Callable[[DebateService], Awaitable[None]]] = []
        self.on_stop: list[Callable[[DebateService], Awaitable[None]]] = []
        # Probes that say whether timed work is still due soon (a piped shell script waits for them).
        self.work_probes: list[Callable[[], bool]] = []
        self._engines: dict[int | None, Engine] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self.settings.ensure_data_dir()
        db.upgrade(self.db_url)
        from bot import ratings
        from bot.rounds import runtime

        ratings.install()  # rate each round as it finishes (a RoundFinished listener)
        await runtime.install(self)  # the round scheduler: start/stop hooks and a pending-work probe
        for start in self.on_start:
            await start(self)
        log.info("service started", extra={"platform": self.platform})

    async def stop(self) -> None:
        for stop in reversed(self.on_stop):
            await stop(self)
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
                handler = _resolve(command.handler)
                if command.stateless:  # e.g. help: nothing to store, so no transaction
                    return _as_list(await handler(incoming, **options))
            else:  # a chat message: a speech, or audience chat
                options = {}
                handler = _resolve("bot.rounds.handlers:on_message")
            replies, after = await self._run(incoming, handler, options)
        except commands.UsageError as exc:
            log.info("usage error: %s", exc, extra=extra)
            return [error(exc.reply)]
        except UserError as exc:
            log.info("refused: %s", exc, extra=extra)
            return [error(str(exc))]
        except db.DatabaseUnavailable as exc:
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

    async def _run(self, incoming: Incoming, handler: Callable[..., Awaitable[Reply]],
                   options: dict[str, Any]) -> tuple[list[Outgoing], list[AfterCommit]]:
        with db.transaction(self.sessions) as session:
            if incoming.event_id and not repo.claim_event(session, self.platform, incoming.event_id):
                log.info("duplicate event dropped", extra={"event": incoming.event_id})
                return [], []
            server = repo.server(session, incoming.server)
            ctx = Context(self, incoming, session, server, repo.user(session, incoming.user),
                          repo.server_settings(session, server))
            replies = _as_list(await handler(ctx, **options))
        return replies, ctx.after

    def autocomplete(self, server: chat.Server, kind: str, prefix: str) -> list[tuple[str, str]]:
        """Suggestions as (label, value) for motion, format, round and article options."""
        prefix = prefix.lower().strip()
        with db.transaction(self.sessions) as session:
            server_row = repo.server(session, server)
            settings_row = repo.server_settings(session, server_row)
            if kind == "motion":
                items = [(f"{mo.id}: {mo.text}", mo.id) for mo in self.engine_for(session, settings_row).motions()]
            else:
                items = _resolve("bot.rounds.handlers:suggest")(session, server_row, settings_row, kind)
        return [(label[:100], value) for label, value in items if prefix in label.lower()][:25]
