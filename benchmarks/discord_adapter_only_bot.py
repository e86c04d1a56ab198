"""The debate bot's Discord adapter with the core stubbed out (help from the command table, no database).

Run by benchmarks/discord_latency.py to separate the adapter's own cost from the core's per-event
database transaction. Same environment variables as `debate-bot run discord`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.discord.client import DebateBot  # noqa: E402
from adapters.discord.runner import configure_endpoints  # noqa: E402
from bot import commands  # noqa: E402
from bot.chat import Incoming, Outgoing  # noqa: E402
from bot.config import Settings  # noqa: E402


class HelpOnlyService:
    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        return [Outgoing(title="Debate bot", text=commands.help_text(), ephemeral=True)]


def main() -> None:
    settings = Settings()
    configure_endpoints(settings)
    bot = DebateBot(settings, service=HelpOnlyService(), start_service=False,  # type: ignore[arg-type]
                    freeze_heap=True, guild_ready_timeout=0.05)  # as `debate-bot run discord` does
    assert settings.discord_token is not None
    bot.run(settings.discord_token.get_secret_value(), log_handler=None)


if __name__ == "__main__":
    main()
