"""What a command handler is given and may raise: `Context`, `UserError`, and the `Reply` it returns.

Handlers (rounds, ratings, stats, admin) import this module, never the service, so the service can
import them without a cycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.chat import Incoming, Kind, Outgoing
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.service import DebateService

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
        """The engine of this server's current article."""
        return self.service.engine_for(self.session, self.settings)

    @property
    def is_admin(self) -> bool:
        return self.incoming.user.is_admin


def as_list(reply: Reply) -> list[Outgoing]:
    """A handler's reply as a list of messages."""
    if reply is None:
        return []
    if isinstance(reply, str):
        return [Outgoing(text=reply)]
    if isinstance(reply, Outgoing):
        return [reply]
    return list(reply)


def error(text: str) -> Outgoing:
    """A private error reply."""
    return Outgoing(text=text, kind=Kind.ERROR, ephemeral=True)
