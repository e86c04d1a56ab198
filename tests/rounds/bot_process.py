"""A real bot process for the restart test: a shell room fed line by line from stdin.

    python -m tests.rounds.bot_process   (DATABASE_URL, DATA_DIR and TIME_SCALE from the environment)

Prints everything the room prints, flushed, and `READY` once the service has started.
"""

from __future__ import annotations

import asyncio
import sys

from adapters.shell.room import ShellRoom
from bot.config import Settings


async def main() -> None:
    room = ShellRoom(Settings(), write=lambda s: print(s, flush=True))
    async with room:
        print("READY", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            await room.line(line)
            print("DONE", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
