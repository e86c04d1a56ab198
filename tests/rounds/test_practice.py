"""A full practice round against the bot, through the shell adapter on a virtual clock."""

from __future__ import annotations

from sqlalchemy import select

from bot import events
from bot.storage import models as m

OPENING = ("Trump's personal diplomacy with Kim has produced results: there have been no nuclear tests "
           "and no missile launches since the talks began. Relations are in a much better place than 18 months ago.")
REBUTTAL = ("They say the summits produced nothing new. But the talks froze the testing, and walking away "
            "would hand the field to hardliners like Bolton.")
CLOSING = "To close: talking beats fighting, and the channel between the leaders is worth keeping open."


async def test_full_practice_round(room_factory, monkeypatch) -> None:
    from bot.engine.core import Engine

    finished: list[events.RoundFinished] = []
    calls: list[dict] = []
    real_speech = Engine.speech

    def spy(self, motion_id, side, kind="opening", seconds=120, opponent_text="", used=()):  # type: ignore[no-untyped-def]
        calls.append({"kind": kind, "side": side, "used": set(used), "opponent_text": opponent_text})
        return real_speech(self, motion_id, side, kind, seconds, opponent_text=opponent_text, used=used)

    monkeypatch.setattr(Engine, "speech", spy)

    def listener(event: events.RoundFinished, session) -> None:
        finished.append(event)

    events.subscribe(events.RoundFinished, listener)
    try:
        room = await room_factory()
        out = await room.say("/debate practice diplomacy pro")
        assert "Practice round #" in out and "Debate Bot takes Con" in out
        round_id = room.round().id
        assert "Speech 1 of 6: Pro opening" in room.text

        await room.until_speaker(round_id, "you")
        await room.say(OPENING)
        await room.say("@someone: go pro!")  # audience chat is not part of the speech
        await room.say("/debate status")
        await room.until(lambda: "Speech 2 of 6: Con opening (Debate Bot)" in room.text, what="bot opening")

        await room.until(lambda: "Speech 3 of 6: Pro rebuttal" in room.text, what="pro rebuttal")
        await room.until_speaker(round_id, "you")
        await room.say(REBUTTAL)
        await room.until(lambda: "Speech 5 of 6: Pro closing" in room.text, what="pro closing")
        await room.until_speaker(round_id, "you")
        out = await room.say(f"/debate speech {CLOSING}")
        assert "Speech recorded" in out

        await room.until_state(round_id, "finished")
    finally:
        events.unsubscribe(events.RoundFinished, listener)

    row = room.round(round_id)
    speeches = sorted(row.speeches, key=lambda s: s.phase_index)
    assert [s.side for s in speeches] == ["pro", "con"] * 3
    assert speeches[0].text.startswith("Trump's personal diplomacy") and "go pro" not in speeches[0].text
    assert speeches[2].text.startswith("They say")
    assert speeches[4].text == CLOSING
    assert all(s.score_total is not None for s in speeches)
    # The bot quotes the article, answers what was said, and is told every point it already made, so the
    # engine never repeats a rebuttal within the round.
    opening_claims = set(speeches[1].score["claim_ids"])
    rebuttal_claims = set(speeches[3].score["claim_ids"])
    assert [c["kind"] for c in calls] == ["opening", "rebuttal", "closing"]
    assert all(c["side"] == "con" for c in calls)
    assert calls[0]["used"] == set() and calls[1]["used"] == opening_claims
    assert calls[2]["used"] == opening_claims | rebuttal_claims
    assert calls[1]["opponent_text"].startswith("They say")  # the rebuttal answers the latest speech
    assert rebuttal_claims - opening_claims
    assert "The article" in speeches[1].text or "put it" in speeches[1].text

    results = room.text[room.text.rindex(f"Round #{round_id} results"):]
    assert "Winner:" in results and "Pro opening: you" in results and "Tips for you" in results
    assert "Relevance:" in results
    assert [e.round_id for e in finished] == [round_id] and finished[0].is_practice
    assert row.winner in ("pro", "con") and row.winner_source == "engine"
    assert not room.service.pending_work()

    def pending(session):
        return session.scalars(select(m.Deadline).where(m.Deadline.done_at.is_(None))).all()

    assert room.query(pending) == []
