"""`/debate config show` shows each setting's value, not a description of the setting."""

from __future__ import annotations


async def test_config_show_prints_values(room_factory) -> None:
    room = await room_factory()
    out = await room.say("/debate config show")
    assert "channel: not set" in out and "fill_policy: `bot`" in out.replace("fill_policy: bot", "fill_policy: `bot`")
    await room.say("/debate config fill_policy postpone")
    out = await room.say("/debate config show")
    assert "postpone" in out and "where each round is started" not in out
