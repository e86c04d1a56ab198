from __future__ import annotations

import pytest
import yaml

from bot.engine import PackError, load_pack


def test_seed_pack_validates_and_is_rich(article, pack_yaml):
    pack = load_pack(pack_yaml, article)
    assert len(pack.motions) >= 5
    for m in pack.motions:
        for side in ("pro", "con"):
            assert len(pack.claims_for(m.id, side)) >= 4, (m.id, side)
    for c in pack.claims:
        for e in c.evidence:
            assert article.text[e.start:e.end] == e.quote
            assert e.paragraph == article.paragraph_at(e.start)
    holders = {c.holder for c in pack.claims}
    assert {"John Bolton", "Mike Pompeo", "Adam Schiff", "Anne Applebaum", "Jackson Diehl", "Kathleen Parker"} <= holders
    assert all(pack.answers(c.id) for c in pack.claims)


def _mutate(pack_yaml: str, fn) -> dict:
    data = yaml.safe_load(pack_yaml)
    fn(data)
    return data


def test_non_verbatim_quote_rejected(article, pack_yaml):
    def change(d):
        d["claims"][0]["evidence"][0]["quote"] = "U.S.-North Korean relations are in a much better place today than 24 months ago."

    with pytest.raises(PackError, match="not found verbatim"):
        load_pack(_mutate(pack_yaml, change), article)


def test_straight_quotes_rejected_with_hint(article, pack_yaml):
    def change(d):
        d["claims"][0]["evidence"][0]["quote"] = "But let's be clear: U.S.-North Korean relations are in a much better place"

    with pytest.raises(PackError, match="near match"):
        load_pack(_mutate(pack_yaml, change), article)


def test_dangling_link_rejected(article, pack_yaml):
    with pytest.raises(PackError, match="unknown claim 'nope'"):
        load_pack(_mutate(pack_yaml, lambda d: d["links"]["dip-con-nothing"].append("nope")), article)


def test_same_side_link_rejected(article, pack_yaml):
    with pytest.raises(PackError, match="other side"):
        load_pack(_mutate(pack_yaml, lambda d: d["links"]["dip-con-nothing"].append("dip-con-prestige")), article)


def test_motion_without_both_sides_rejected(article, pack_yaml):
    def change(d):
        d["claims"] = [c for c in d["claims"] if not (c["motion"] == "warmbier" and c["side"] == "con")]
        d["links"] = {k: [t for t in v if not t.startswith("wb-con")] for k, v in d["links"].items() if not k.startswith("wb-con")}

    with pytest.raises(PackError, match="motion warmbier: no con claims"):
        load_pack(_mutate(pack_yaml, change), article)


def test_wrong_offsets_rejected(article, pack_yaml):
    def change(d):
        d["claims"][0]["evidence"][0]["start"] = 5
        d["claims"][0]["evidence"][0]["end"] = 50

    with pytest.raises(PackError, match="offsets"):
        load_pack(_mutate(pack_yaml, change), article)


def test_draft_pack_for_seed_article_validates(article):
    from bot.engine.drafting import draft_pack

    pack = draft_pack(article)
    assert pack.draft and 0 < pack.confidence < 1
    again = load_pack(pack.to_yaml(), article)
    assert len(again.motions) >= 3
    for m in again.motions:
        assert {c.side for c in again.claims_for(m.id)} == {"pro", "con"}


OTHER = """# Cities Should Ban Cars From Their Centres

By Maria Lopez

Car-free centres are cleaner and safer. In Oslo, pedestrian deaths fell to zero after the city removed parking from its core.

Shop owners warned that sales would collapse. “Nobody will come downtown if they can't park,” said Tom Berg, who runs a hardware store.

But the data tell another story. Footfall in Oslo's centre rose by ten percent, and most shops reported higher sales.

Of course, people with disabilities need access. Any ban must include exemptions for them and for deliveries.

Critics also say bans hurt the poor. Yet public transport is cheaper than car ownership, and the city cut bus fares when the ban began.

Air quality improved within months. Nitrogen dioxide levels dropped by a third, according to the city's monitoring network.
"""


def test_draft_for_another_article(tmp_path):
    from bot.engine import Decline, Engine

    eng = Engine.from_texts(OTHER, None, fmt="markdown")
    assert eng.article.author == "Maria Lopez"
    assert eng.pack.draft
    assert eng.motions()[0].text == "This house believes that cities should ban cars from their centres"
    holders = {c.holder for c in eng.pack.claims}
    assert {"Tom Berg", "author"} <= holders
    # a reported view is held by whoever reports it (whether the drafter keeps it depends on the stance model)
    from bot.engine.claims import reported_view

    assert reported_view("Critics also say bans hurt the poor.").who == "Critics"
    assert isinstance(eng.rebut("I love pizza"), Decline)


@pytest.mark.xfail(strict=True, reason="known miss since the target-reading stance model (benchmarks/RESULTS.md, "
                   "Stance): its drafted pack no longer keeps 'Critics also say bans hurt the poor' (stance 0.51, under "
                   "the drafter's floor), and the on-topic gate, which leans on closeness to pack claims, then scores "
                   "this argument 0.497 and declines it")
def test_a_point_the_article_answers_is_answered_from_it():
    from bot.engine import Engine, Rebuttal

    eng = Engine.from_texts(OTHER, None, fmt="markdown")
    r = eng.rebut("Car bans hurt the poor.")
    assert isinstance(r, Rebuttal)
    assert r.evidence[0].quote.startswith("Yet public transport is cheaper")
    assert r.evidence[0].paragraph == 6
