"""Listening benchmark: does `listen` hear which claims a real debate speech makes? (GPR-KB-55)

Two tasks from IBM's GPR-KB-55 layer of the Recorded Debating Dataset (25 development motions):
- idebate: (claim from idebate.org, one sentence of an expert's speech) -> is the claim made in it?
  Scored as `listen(sentence, candidates=[claim]).claims[0].score`.
- general: (general-purpose claim instantiated for the motion, whole speech) -> is it made
  (explicitly or implicitly)? Scored as `listen(speech, candidates=[claim]).claims[0].score`.
For each, ROC AUC of the score, and the same for a token-overlap baseline (share of the claim's
content words found in the text). The target is 0.80 on each. The engine for a motion is built
on that motion's speeches as its "article" (they set the background statistics; no labels used).

    python benchmarks/listening.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
DATA = ROOT.parent / "shared" / "data" / "ibm" / "gpr_kb55"


def engine_for(motion: str, speeches: list[str]):
    """An engine whose article is the motion's speeches, with a one-claim stub pack (background only)."""
    from bot.engine.article import parse_article
    from bot.engine.core import Engine
    from bot.engine.pack import load_pack

    text = motion + "\n\n" + "\n\n".join(s.replace("\n\n", "\n") for s in speeches)
    article = parse_article(text, fmt="txt")
    a, b = (article.sentences[1].text, article.sentences[2].text) if len(article.sentences) > 2 else \
        (article.sentences[0].text, article.sentences[0].text)
    pack = load_pack({"motions": [{"id": "m", "text": motion}],
                      "claims": [{"id": "c1", "motion": "m", "side": "pro", "text": a, "evidence": [{"quote": a}]},
                                 {"id": "c2", "motion": "m", "side": "con", "text": b, "evidence": [{"quote": b}]}]},
                     article)
    return Engine(article, pack)


def _overlap(claim: str, text: str) -> float:
    from bot.engine.matcher import tokenize

    c = set(tokenize(claim))
    return len(c & set(tokenize(text))) / len(c) if c else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="only the first N pairs of each task (quick look)")
    args = ap.parse_args()
    from train_gate import read_csv, roc_auc

    speeches = {r["speech-id"]: r for r in read_csv(DATA / "speech-transcripts.csv")}
    by_motion: dict[str, list[str]] = defaultdict(list)
    motion_text: dict[str, str] = {}
    for r in speeches.values():
        by_motion[r["motion-id"]].append(r["speech-text"])
    idebate = read_csv(DATA / "idebate-claim-to-sentence-matching.csv")
    general = read_csv(DATA / "GP-claims-mentioned-in-speeches.csv")
    for r in idebate + general:
        motion_text[r["motion-id"]] = r["motion-text"]
    if args.limit:
        idebate, general = idebate[: args.limit], general[: args.limit]
    engines: dict[str, object] = {}

    def eng(mid: str):
        if mid not in engines:
            engines[mid] = engine_for(motion_text[mid], by_motion.get(mid, []))
        return engines[mid]

    rows = []
    t0 = time.perf_counter()
    for name, pairs, text_of, claim_key, label_of in [
        ("idebate claims (sentence)", idebate, lambda r: r["sentence-text"], "claim-text",
         lambda r: r["is-claim-mentioned-in-sentence"] == "true"),
        ("general-purpose claims (speech)", general, lambda r: speeches[r["speech-id"]]["speech-text"]
         if r["speech-id"] in speeches else "", "GP-claim-text-for-motion",
         lambda r: r["is-claim-mentioned-in-speech"] == "true"),
    ]:
        ys, ours, base = [], [], []
        for r in pairs:
            text = text_of(r)
            if not text:
                continue
            h = eng(r["motion-id"]).listen(text, "m", None, [r[claim_key]])
            ys.append(1 if label_of(r) else 0)
            ours.append(h.claims[0].score)
            base.append(_overlap(r[claim_key], text))
        y = np.array(ys)
        rows.append((name, len(y), int(y.sum()), roc_auc(y, np.array(ours)), roc_auc(y, np.array(base))))
    took = time.perf_counter() - t0
    print("| task | pairs | positive | listen ROC AUC | token overlap ROC AUC |")
    print("|---|---|---|---|---|")
    for name, n, pos, auc, bauc in rows:
        print(f"| {name} | {n} | {pos} | {auc:.3f} | {bauc:.3f} |")
    print(f"({took:.0f} s)")


if __name__ == "__main__":
    main()
