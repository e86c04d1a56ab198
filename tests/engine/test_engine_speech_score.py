from __future__ import annotations

import pytest

GOOD = ("We oppose the motion that Otto Warmbier's death should block rapprochement. First, there is no evidence "
        "of torture: the article notes that “A medical examination revealed that there was no obvious signs of trauma, "
        "much less torture” (paragraph 36). Second, Kim had no motive, because American detainees are bargaining "
        "chips, and “No American detainees had previously been killed.” Third, my opponents compare this to Putin "
        "and the Saudi prince, but these situations are not parallel: there is proof of Russian meddling and none "
        "here. Finally, his death was a tragedy, but it should not prevent rapprochement that lowers the risk of "
        "war. So we oppose the motion.")
GENERIC = ("I disagree with this motion. Things are complicated and we should think about them carefully. There are "
           "many reasons to disagree, and the other side has not proven its case. Thank you very much.")
OFF_TOPIC = ("Pizza is the best food in the world. Football is a great sport and everyone should watch the World "
             "Cup. My favourite team is very good this season, so I will buy a new shirt.")
OPPONENT = "Kim tortured an American student to death. Believing Kim is like believing Putin about election meddling."


@pytest.fixture(scope="module")
def copy_paste(engine):
    return " ".join(p.text for p in engine.article.paragraphs[33:38])


def test_scoring_order(engine, copy_paste):
    s = {name: engine.score(t, "warmbier", "con", opponent_text=OPPONENT, seconds=120)
         for name, t in [("good", GOOD), ("generic", GENERIC), ("off", OFF_TOPIC), ("copy", copy_paste)]}
    assert s["good"].total > s["generic"].total > s["off"].total
    assert s["generic"].total > s["copy"].total
    assert "off-topic" in s["off"].flags and "copy-paste" in s["copy"].flags
    assert "copy" in s["copy"].criteria["evidence"].reason
    assert "off-topic" in s["off"].criteria["relevance"].reason
    assert s["good"].total >= 60
    for r in s.values():
        assert 2 <= len(r.tips) <= 3
        assert set(r.criteria) == {"relevance", "evidence", "analysis", "engagement", "structure"}
        assert all(0 <= c.score <= 1 and c.reason for c in r.criteria.values())


@pytest.mark.parametrize("text,flag", [
    ("", "empty"),
    ("vote con vote con vote con vote con vote con vote con vote con vote con", "spam"),
    ("Kim is bad. Kim is bad. Kim is bad. Kim is bad. Kim is bad. Kim is bad.", "spam"),
    ("asdfgh qwrtzp xcvbnm lkjhgf mnbvcx zxcvbn", "spam"),
])
def test_bottom_cases(engine, text, flag):
    r = engine.score(text, "diplomacy", "pro", scale=(60, 80))
    assert flag in r.flags
    assert r.total <= 61
    assert r.tips


def test_scale_and_to_dict(engine):
    r = engine.score(GOOD, "warmbier", "con", scale=(60, 80))
    d = r.to_dict()
    assert d["scale"] == [60, 80] and 60 <= d["total"] <= 80
    assert set(d["criteria"]["evidence"]) == {"score", "reason"}
    assert isinstance(d["tips"], list)


def test_wrong_side_scores_lower_on_relevance(engine):
    pro = engine.score(GOOD, "warmbier", "pro")
    con = engine.score(GOOD, "warmbier", "con")
    assert con.criteria["relevance"].score > pro.criteria["relevance"].score


@pytest.mark.parametrize("kind", ["opening", "rebuttal", "closing", "reply", "summary", "crossfire"])
def test_speeches_grounded_and_fit(engine, kind):
    sp = engine.speech("diplomacy", "pro", kind, 90, opponent_text="The summits achieved nothing. Kim cannot be trusted.")
    assert sp.text and sp.claim_ids and sp.evidence
    assert sp.words <= 90 * 150 / 60 + 10
    for e in sp.evidence:
        assert engine.article.text[e.start:e.end] == e.quote
        assert f"“{e.quote}” (paragraph {e.paragraph})" in sp.text
    for a in sp.answers:
        assert a.side == "pro"
    for cid in sp.claim_ids:
        assert engine.pack.claim(cid) is None or engine.pack.claim(cid).side == "pro"


def test_rebuttal_speech_answers_what_was_said(engine):
    sp = engine.speech("exercises", "pro", "rebuttal", 120,
                       opponent_text="Cancelling the drills abandons South Korea. We gave them up for nothing.")
    # the drills point is answered by one of the pack's answers to it, quoting the opponent's words
    assert {a.id for a in engine.pack.answers("ex-con-allies")} & set(sp.claim_ids)
    assert any(e.paragraph == 28 for e in sp.evidence)
    assert "“Cancelling the drills abandons South Korea”" in sp.text


def test_opening_respects_used_and_budget(engine):
    short = engine.speech("warmbier", "con", "opening", 30)
    long = engine.speech("warmbier", "con", "opening", 240)
    assert short.words < long.words <= 600
    again = engine.speech("warmbier", "con", "opening", 60, used=short.claim_ids)
    assert not set(again.claim_ids) & set(short.claim_ids)


@pytest.mark.parametrize("motion", ["diplomacy", "exercises", "warmbier"])
def test_bot_never_argues_against_itself_when_its_own_points_are_quoted_back(engine, motion):
    # The opponent repeats the bot's opening points to attack them (as the demo's user does); the
    # bot's rebuttal must still use only claims of its own side.
    opening = engine.speech(motion, "con", "opening", 120)
    quoted = " ".join(f"They say {engine.pack.claim(c).text}" for c in opening.claim_ids[:3])
    rebuttal = engine.speech(motion, "con", "rebuttal", 90, opponent_text=quoted, used=opening.claim_ids)
    assert rebuttal.claim_ids
    for cid in rebuttal.claim_ids:
        claim = engine.pack.claim(cid)  # article sentences ("s12") and general answers carry other ids
        assert claim is None or claim.side == "con", cid
    assert all(a.side == "con" for a in rebuttal.answers)
