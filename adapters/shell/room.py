"""The shell adapter: a local chat room in the terminal.

Each input line is a `/debate ...` command or a chat message. `@name: text` speaks as another user.
Two room directives help scripts and demos: `/wait SECONDS` waits that many debate seconds (scaled by
the time scale), and `/quit` leaves. With piped input the lines run as a script, and the room exits
once they end and no timed work is pending.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot import chat
from bot.chat import Image, Incoming, Kind, Outgoing, Place, Server, User
from bot.config import Settings
from bot.ports import Clock
from bot.service import DebateService

ROOM = Server(platform="shell", external_id="local", name="Shell room")
CHANNEL = Place(channel_id="general")
DEFAULT_USER = "you"
_SPEAKER = re.compile(r"^@([\w.\-]{1,32}):\s?(.*)$", re.S)
MAX_WAIT = 24 * 3600.0  # debate seconds one /wait may take
_KIND_MARK = {Kind.ERROR: "⚠", Kind.SUCCESS: "✔", Kind.TURN: "⏱", Kind.RESULTS: "🏆", Kind.ANNOUNCE: "📣"}


def _terminal(text: str) -> str:
    return chat.plain(text).replace("**", "")


def format_message(message: Outgoing, *, width: int = 100, image_dir: Path | None = None) -> str:
    """Render an Outgoing as readable terminal text; an image is written into `image_dir` and named by path."""
    lines: list[str] = []
    mark = _KIND_MARK.get(message.kind, "")
    if message.title:
        lines.append(f"{mark} {_terminal(message.title)}".strip())
        lines.append("─" * min(width, max(8, len(message.title) + 2)))
    elif mark:
        lines.append(mark)
    if message.text:
        lines.append(_terminal(message.text))
    for item in message.fields:
        lines.append(f"• {_terminal(item.name)}: {_terminal(item.value)}")
    if message.buttons:
        lines.append("Buttons: " + "  ".join(f"[{b.label} → {b.id}]" for b in message.buttons))
    if message.image:
        lines.append(f"[image: {save_image(message.image, image_dir)}]" if image_dir is not None
                     else f"[image: {message.image.filename}, {len(message.image.data)} bytes]")
    if message.footer:
        lines.append(_terminal(message.footer))
    body = "\n".join(lines)
    return textwrap.indent(body, "  ")


def save_image(image: Image, folder: Path) -> Path:
    """Write an image (e.g. the rating chart) into `folder` under its own name; returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(image.filename).name
    path.write_bytes(image.data)
    return path


class ShellMessenger:
    """Prints timed messages; threads are named places in the same room."""

    def __init__(self, write: Callable[[str], None], image_dir: Path | None = None) -> None:
        self.write = write
        self.image_dir = image_dir  # where images (rating charts) are written; None: only named
        self._ids = itertools.count(1)

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        where = f"#{place.channel_id}" + (f" › {place.thread_id}" if place.thread_id else "")
        self.write(f"[bot in {where}]\n{format_message(message, image_dir=self.image_dir)}")
        return str(next(self._ids))

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        self.write(f"[bot edited message {message_id}]\n{format_message(message, image_dir=self.image_dir)}")

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        return Place(channel_id=place.channel_id, thread_id=name[:60])


class ShellRoom:
    """The terminal room. `clock` and `wait` let a test run it on a virtual clock (tests/fakes/room.py)."""

    def __init__(self, settings: Settings, *, write: Callable[[str], None] | None = None,
                 user: str = DEFAULT_USER, clock: Clock | None = None,
                 wait: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.write = write or (lambda s: print(s, flush=True))
        self.image_dir = settings.data_dir / "images"
        self.messenger = ShellMessenger(self.write, self.image_dir)
        self.service = DebateService(settings, self.messenger, platform="shell", clock=clock)
        self._sleep = wait or asyncio.sleep
        self.user = user
        self.place = CHANNEL
        self._events = itertools.count(1)

    async def __aenter__(self) -> ShellRoom:
        await self.service.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.service.stop()

    def _user(self, name: str) -> User:
        # In the local room everyone is an admin of their own server.
        return User(platform="shell", external_id=name, display_name=name, is_admin=True)

    async def line(self, raw: str) -> bool:
        """Handle one input line. Returns False when the room should close."""
        raw = raw.rstrip("\n")
        if not raw.strip():
            return True
        speaker, text = self.user, raw
        match = _SPEAKER.match(raw)
        if match:
            speaker, text = match.group(1), match.group(2)
            if speaker.startswith("__"):  # __bot__ is the bot itself; names like it are reserved
                self.write(format_message(Outgoing(text=f"`@{speaker}` is reserved for the bot; speak as "
                                                   "someone else, e.g. `@ann: hello`.", kind=Kind.ERROR)))
                return True
        stripped = text.strip()
        if stripped in ("/quit", "/exit"):
            return False
        if stripped.startswith("/wait"):
            await self._wait(stripped)
            return True
        incoming = Incoming(server=ROOM, user=self._user(speaker), place=self.place,
                            event_id=f"shell-{id(self)}-{next(self._events)}", at=self.service.clock.now())
        if stripped.startswith("/debate"):
            from bot import commands, hygiene

            try:
                command, options = hygiene.check_text(stripped)
            except commands.UsageError as exc:
                self.write(format_message(Outgoing(text=exc.reply, kind=Kind.ERROR)))
                return True
            incoming.command, incoming.options, incoming.text = command.name, options, stripped
        elif stripped.startswith("/"):
            self.write(format_message(Outgoing(text=f"Unknown command `{stripped.split()[0]}`. Commands start "
                                               "with `/debate`; try `/debate help`.", kind=Kind.ERROR)))
            return True
        else:
            incoming.text = text
        for reply in await self.service.handle(incoming):
            self.write(format_message(reply, image_dir=self.image_dir))
        return True

    async def _wait(self, directive: str) -> None:
        parts = directive.split()
        try:
            seconds = float(parts[1]) if len(parts) > 1 else 1.0
        except ValueError:
            seconds = -1.0
        if len(parts) > 2 or not 0.0 <= seconds <= MAX_WAIT:  # also refuses inf and nan
            self.write(format_message(Outgoing(text=f"Usage: /wait SECONDS, a number from 0 to {MAX_WAIT:.0f}.",
                                               kind=Kind.ERROR)))
            return
        await self._sleep(max(0.0, seconds) / self.service.time_scale)

    def pending_work(self) -> bool:
        return self.service.pending_work()

    async def run_script(self, lines: list[str], *, idle_timeout: float = 3600.0) -> None:
        for raw in lines:
            if not await self.line(raw):
                return
        waited = 0.0
        while self.pending_work() and waited < idle_timeout:
            await asyncio.sleep(0.05)
            waited += 0.05

    async def run_interactive(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.patch_stdout import patch_stdout

        history = self.service.settings.data_dir / "shell_history"
        history.parent.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(history=FileHistory(str(history)))
        self.write("Debate room. Type /debate help, chat as yourself, or '@name: text' to speak as someone else. "
                   "/quit to leave.")
        with patch_stdout():
            while True:
                try:
                    raw = await session.prompt_async(f"{self.user}> ")
                except (EOFError, KeyboardInterrupt):
                    return
                if not await self.line(raw):
                    return


def read_lines(stream: Any) -> list[str]:
    """All lines of a piped script; bytes that are not UTF-8 become U+FFFD instead of ending the session."""
    raw = getattr(stream, "buffer", None)
    if raw is None:
        return stream.read().splitlines()
    return raw.read().decode("utf-8", errors="replace").splitlines()


async def run_shell(settings: Settings, *, script: list[str] | None = None) -> None:
    async with ShellRoom(settings) as room:
        if script is None and sys.stdin.isatty():
            await room.run_interactive()
        else:
            # bytes that are not UTF-8 become U+FFFD instead of ending the session
            await room.run_script(script if script is not None else read_lines(sys.stdin))
