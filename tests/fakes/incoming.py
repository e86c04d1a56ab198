"""The one `incoming()` builder: a neutral event as an adapter would hand it to the service."""

from __future__ import annotations

from typing import Any

from bot.chat import Incoming, Place, Server, User

SERVER = Server("shell", "club", "Club")
PLACE = Place("general")


def incoming(command: str | None = None, caller: str = "ann", *, admin: bool = False, server: Server = SERVER,
             place: Place = PLACE, text: str = "", display_name: str | None = None, event_id: str | None = None,
             **options: Any) -> Incoming:
    """A command (or, with command=None, a chat message) from `caller` on `server`."""
    user = User(server.platform, caller, display_name or caller.capitalize(), is_admin=admin)
    return Incoming(server=server, user=user, place=place, command=command, options=options, text=text,
                    event_id=event_id)
