"""One recording messenger for every test that runs the service without a platform."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.chat import Outgoing, Place, Server


@dataclass
class Sent:
    place: Place
    message: Outgoing
    id: str
    edited: bool = False


@dataclass
class RecordingMessenger:
    """The `Messenger` port: keeps what the bot posted, in order; threads are named places."""

    sent: list[Sent] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        item = Sent(place, message, str(next(self._ids)))
        self.sent.append(item)
        return item.id

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        self.sent.append(Sent(place, message, message_id, edited=True))

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        return Place(channel_id=place.channel_id, thread_id=name[:60])

    def texts(self) -> list[str]:
        return [f"{s.message.title or ''}\n{s.message.text}" for s in self.sent]
