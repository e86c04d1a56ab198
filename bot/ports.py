"""What the core needs from the outside world. Adapters implement these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from bot.chat import Outgoing, Place, Server


@runtime_checkable
class Messenger(Protocol):
    """Sends messages outside a command's reply: timers, announcements, results.

    A messenger may also have `describe_error(exc) -> str | None`: one line for an error by which the platform
    refused a call after its client's own retries, None for any other error. The round outbox then logs that
    one line instead of a traceback.
    """

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        """Post a message and return the platform's id for it."""
        ...

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        """Replace a message the bot posted earlier."""
        ...

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        """Open a thread for a round under ``place``; platforms without threads return ``place``."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
