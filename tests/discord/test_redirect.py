"""The two points that redirect discord.py to a proxy or a fake Discord. If a future discord.py moves
them, these tests fail loudly: DISCORD_API_BASE / DISCORD_GATEWAY_URL would silently stop working."""

from __future__ import annotations

import inspect

import discord
import yarl

from adapters.discord.runner import configure_endpoints
from bot.config import Settings

MOVED = ("discord.py changed how it reaches Discord: adapters/discord/runner.py configure_endpoints() "
         "no longer redirects it, so DISCORD_API_BASE/DISCORD_GATEWAY_URL and the test fake Discord break. ")


def test_rest_base_is_route_base(redirect_points: None) -> None:
    assert isinstance(getattr(discord.http.Route, "BASE", None), str), MOVED + "Route.BASE is gone"
    configure_endpoints(Settings(_env_file=None, discord_api_base="http://127.0.0.1:9/api/v10/"))
    assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me", \
        MOVED + "Route.url no longer starts with Route.BASE"
    source = inspect.getsource(discord.webhook.async_.AsyncWebhookAdapter.create_interaction_response)
    assert "Route(" in source, MOVED + "interaction callbacks no longer go through http.Route"


def test_gateway_is_default_gateway(redirect_points: None) -> None:
    ws = discord.gateway.DiscordWebSocket
    assert isinstance(getattr(ws, "DEFAULT_GATEWAY", None), yarl.URL), MOVED + "DEFAULT_GATEWAY is gone"
    assert "cls.DEFAULT_GATEWAY" in inspect.getsource(ws.from_client), \
        MOVED + "DiscordWebSocket.from_client no longer falls back to DEFAULT_GATEWAY"
    configure_endpoints(Settings(_env_file=None, discord_gateway_url="ws://127.0.0.1:9/gateway"))
    assert str(ws.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"


def test_empty_settings_keep_discords_own_endpoints(redirect_points: None) -> None:
    configure_endpoints(Settings(_env_file=None))
    assert discord.http.Route.BASE.startswith("https://discord.com/api/v")
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY.host == "gateway.discord.gg"
