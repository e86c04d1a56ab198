"""In a practice round through the shell, the bot's speeches answer what the user actually said."""

from __future__ import annotations

import re

USER_OPENING = ("honestly the summits calmed everything down, north korea stopped testing missiles "
                "and nobody is threatening war anymore. thats worth keeping.")
USER_REBUTTAL = ("They keep saying Hanoi failed. But failing to sign a deal is not the same as failing: "
                 "the freeze on tests is still there.")


async def test_bot_answers_the_users_own_words(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate practice diplomacy pro")
    round_id = room.round().id
    await room.until_speaker(round_id, "you")
    await room.say(USER_OPENING)
    await room.until(lambda: "Speech 3 of 6: Pro rebuttal" in room.text, what="pro rebuttal")
    await room.until_speaker(round_id, "you")
    mark = room.mark()
    await room.say(USER_REBUTTAL)
    await room.until(lambda: "Speech 5 of 6: Pro closing" in room.since(mark), what="bot rebuttal")
    bot_rebuttal = room.since(mark)
    quoted = re.findall(r"(?:said|took on our case): “([^”]+)”", bot_rebuttal)
    assert quoted, bot_rebuttal[-2000:]
    # every quotation of the opponent is their own words, verbatim
    for q in quoted:
        assert q in USER_REBUTTAL or q in USER_OPENING, q
    assert "saboteur" not in bot_rebuttal
    # the results weigh the clash: which points stood and which were answered
    await room.until_speaker(round_id, "you")
    await room.say("/debate speech To close: the freeze on tests is a real gain, and walking away throws it away.")
    await room.until(lambda: "results" in room.since(mark), what="results")
    results = room.text[room.text.rindex("results"):]
    assert "The clash:" in results and "stood" in results


async def test_practice_starts_with_a_prep_brief(room_factory) -> None:
    room = await room_factory()
    out = await room.say("/debate practice diplomacy pro")
    assert "brief" in out.lower(), out
    assert "(paragraph " in out
