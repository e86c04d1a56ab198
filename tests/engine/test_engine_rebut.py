from __future__ import annotations

import pytest

from bot.engine import Decline, Engine, Rebuttal


def _verbatim(engine, r: Rebuttal):
    for e in r.evidence:
        assert engine.article.text[e.start:e.end] == e.quote
        assert e.paragraph == engine.article.paragraph_at(e.start)


def test_rebut_con_argument_gets_pro_answer(engine):
    r = engine.rebut("Canceling the joint military exercises abandons our ally South Korea.", side="con",
                     motion_id="exercises")
    assert isinstance(r, Rebuttal)
    assert r.side == "pro" and r.claim.side == "pro"
    assert r.evidence[0].paragraph == 28
    assert 0.5 < r.score <= 1
    _verbatim(engine, r)


def test_rebut_pro_argument_gets_con_answer(engine):
    r = engine.rebut("Kim offered to shut down the Yongbyon complex, so he is serious about giving up his nukes.",
                     motion_id="step-by-step", side="pro")
    assert isinstance(r, Rebuttal)
    assert r.claim.side == "con"
    assert r.evidence[0].paragraph == 7  # Yongbyon was closed twice before
    _verbatim(engine, r)


def test_infers_motion_and_side(engine):
    r = engine.rebut("Linking human rights to the nuclear talks would only make both fail.")
    assert isinstance(r, Rebuttal)
    assert r.motion.id == "human-rights" and r.matched_claim.side == "con" and r.claim.side == "pro"


@pytest.mark.parametrize("text", [
    "I love pizza and football.",
    "We should build more bicycle lanes in Amsterdam.",
    "Cats are better pets than dogs because they are independent.",
    "",
    "   ",
])
def test_declines_unrelated(engine, text):
    r = engine.rebut(text)
    assert isinstance(r, Decline)
    assert r.reason
    assert r.to_dict()["rebuttal"] is None


@pytest.mark.parametrize("argument", [
    # each paraphrases an article sentence; the answer must not cite that sentence back
    "Bolton said walking away from Hanoi was a success because Trump turned down a bad deal.",
    "The summit in Hanoi did not achieve anything new.",
    "Of course North Korea's human rights situation is appalling and the labor camps must be addressed.",
    "Trump blamed North Korea for insisting that all the sanctions be removed.",
    "Pompeo says North Korea is still a nuclear threat.",
])
def test_no_echo(engine, argument):
    r = engine.rebut(argument)
    assert isinstance(r, Rebuttal)
    mine = engine.match(argument)[0][0]
    user_sentences = {s.index for e in mine.evidence for s in engine.article.sentences_in(e.start, e.end)}
    for e in r.evidence:
        cited = {s.index for s in engine.article.sentences_in(e.start, e.end)}
        assert not cited & user_sentences, f"echoed the user's own point: {e.quote!r}"
    assert r.claim.side != r.matched_claim.side or r.claim.motion != r.matched_claim.motion


def test_no_repeat_within_round(engine):
    used: list[str] = []
    paragraphs = []
    for _ in range(4):
        r = engine.rebut("The summits achieved nothing; it is all flattery between two strongmen.", "diplomacy", "con",
                         exclude=used)
        if isinstance(r, Decline):
            break
        assert r.claim.id not in used
        used.append(r.claim.id)
        paragraphs.append(r.evidence[0].paragraph)
    assert len(used) >= 3 and len(set(used)) == len(used)


def test_find_motion(engine):
    assert engine.find_motion("diplomacy").id == "diplomacy"
    assert engine.find_motion("human rights").id == "human-rights"
    assert engine.find_motion("military drills with South Korea").id == "exercises"
    assert engine.find_motion("Warmbier").id == "warmbier"
    assert engine.find_motion("quantum chromodynamics") is None
    assert engine.find_motion("This house believes Trump should keep meeting Kim").id == "diplomacy"
    assert engine.find_motion("THW keep joint exercises with Seoul").id == "exercises"
    assert engine.find_motion("torture of an American student").id == "warmbier"
    assert engine.find_motion("This house would ban zoos") is None
    assert engine.find_motion("2").id == "human-rights"


def test_custom_motion_text_is_tolerated(engine):
    # a round may carry a motion typed by a user: the engine falls back instead of raising
    r = engine.rebut("Kim will never give up his nukes, so stop talking.", motion_id="This house would ban zoos")
    assert isinstance(r, Rebuttal)
    sp = engine.speech("This house would ban zoos", "pro", "opening", 30)
    assert sp.text and sp.evidence
    assert engine.score("Zoos are cruel to animals.", "This house would ban zoos", "pro").total < 20


def test_to_dict_shape(engine):
    d = engine.rebut("No sanctions relief until North Korea gives up every nuclear weapon.").to_dict()
    assert {"motion", "matched_claim", "rebuttal", "evidence", "score"} <= set(d)
    assert all(set(e) == {"quote", "paragraph"} for e in d["evidence"])


def test_from_texts_and_cache(engine, pack_yaml):
    text = engine.article.text
    a = Engine.from_texts(text, pack_yaml)
    assert Engine.from_texts(text, pack_yaml) is a
    assert [m.id for m in a.motions()] == [m.id for m in engine.motions()]
    from bot.engine import get_engine

    assert get_engine() is engine


def test_motion_alignment_from_pack(engine):
    # shared evidence and cross-motion links line the camps up: pro-diplomacy = con-Warmbier
    al = engine.index.alignment["diplomacy"]
    assert al["exercises"] is False and al["step-by-step"] is False
    assert al["warmbier"] is True and al["human-rights"] is True


def test_arguing_against_a_bot_side_claim(engine):
    # a con speaker attacking the pro case's claim: the bot stands on that claim and its evidence
    r = engine.rebut("A partial deal that freezes the nuclear programme in exchange for some sanctions relief "
                     "is a bad idea.", "diplomacy", "con")
    assert isinstance(r, Rebuttal)
    assert r.point_kind == "attack" and r.matched_claim.id == r.claim.id
    assert r.claim.id == "dip-pro-partial-deal" and r.evidence[0].paragraph == 39
    assert r.opponent_quote.startswith("A partial deal")
    # a con point that the encoder places on the con side: answered by a pro counter (before the
    # encoder was blended in, this one matched the pro partial-deal claim and took the branch above)
    r = engine.rebut("Sanctions are working and we should not lift them.", "diplomacy", "con")
    assert isinstance(r, Rebuttal)
    assert r.claim.side == "pro" and r.side == "pro"
