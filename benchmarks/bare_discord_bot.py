"""A bare discord.py bot for the latency baseline: `/debate help` answers a fixed string, nothing else.

Run by benchmarks/discord_latency.py in its own process, like the real bot:
    DISCORD_API_BASE=... DISCORD_GATEWAY_URL=... DISCORD_TOKEN=... python benchmarks/bare_discord_bot.py
"""

from __future__ import annotations

import os

import discord
import yarl
from discord import app_commands


def main(api_base: str, gateway_url: str, token: str) -> None:
    discord.http.Route.BASE = api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name="debate", description="debate")

    # BARE_REPLY=embed answers with the same help embed the debate bot sends (built once, then fixed), so the
    # ratio measures the debate bot's own work and not the size of its reply; the default is a short string.
    embed = None
    if os.environ.get("BARE_REPLY") == "embed":
        from bot.commands import help_text

        embed = discord.Embed(title="Debate bot", description=help_text())

    @group.command(name="help", description="help")
    async def help_command(interaction: discord.Interaction) -> None:
        if embed is not None:
            await interaction.response.send_message(embed=embed, ephemeral=True,
                                                    allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message("Debate bot commands: …", ephemeral=True)

    tree.add_command(group)
    client.run(token, log_handler=None)


if __name__ == "__main__":
    main(os.environ["DISCORD_API_BASE"], os.environ["DISCORD_GATEWAY_URL"], os.environ["DISCORD_TOKEN"])
