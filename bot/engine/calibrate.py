"""How the encoder weight and the decline floor (core.ENCODER_WEIGHT, core.MATCH_FLOOR) were set.

    python -m bot.engine.calibrate --argkp ../shared/data/argkp [--n 1000]

Uses only the seed pack itself and the ArgKP-2021 *train* arguments, never the dev rebuttals:
  positives - each `phrasing` of a claim, scored against the pack with that phrasing left out
              (its claim's score), a debater's words for a claim the index has not seen;
  negatives - ArgKP train arguments (debate arguments on unrelated topics: school uniforms,
              assisted suicide...), their best claim score.
For each encoder weight w, the score is (1 - w) * hybrid + w * fine-tuned cosine. The floor keeps
the rule of the hybrid's hand-set floor 0.34: the same percentile of the negatives.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--argkp", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data" / "argkp")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from . import get_engine
    from .encoder import get_encoder

    eng, enc = get_engine(), get_encoder()
    idx = eng.claim_index
    V = enc.encode(idx.texts)

    def parts(text: str):
        d, lex = idx.text_scores(text)
        return d, lex, V @ enc.encode(text)[0]

    pos = []
    for c in eng.pack.claims:
        for p in c.phrasings:
            keep = np.ones(len(idx.texts), bool)
            keep[idx.texts.index(p)] = False
            d, lex, f = parts(p)
            pos.append((d[keep], lex[keep], f[keep], idx.owner[keep], idx.key_index[c.id]))
    with open(args.argkp / "arguments_train.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    random.seed(args.seed)
    neg = [parts(r["argument"]) for r in random.sample(rows, min(args.n, len(rows)))]

    def best(d, lex, f, owner, w):
        s = (1 - w) * idx.combine(d, lex) + w * f
        out = np.full(len(idx.uniq), -1.0)
        np.maximum.at(out, owner, s)
        return out

    pct = None
    print(f"{len(pos)} held-out phrasings, {len(neg)} ArgKP train arguments")
    print(f"{'w':>4} {'LOO top-1':>9} {'AUC':>6} {'floor':>6} {'pos >= floor':>12} {'neg >= floor':>12}")
    for w in (0.0, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
        P = [best(d, lex, f, o, w) for d, lex, f, o, _ in pos]
        top1 = np.mean([p.argmax() == k for p, (*_, k) in zip(P, pos, strict=True)])
        own = np.array([p[k] for p, (*_, k) in zip(P, pos, strict=True)])
        N = np.array([best(d, lex, f, idx.owner, w).max() for d, lex, f in neg])
        if pct is None:
            pct = float((N < 0.34).mean() * 100)  # where the hybrid's floor sits among the negatives
        floor = float(np.percentile(N, pct))
        auc = float((own[:, None] > N[None, :]).mean())
        print(f"{w:>4} {top1:>9.3f} {auc:>6.3f} {floor:>6.3f} {np.mean(own >= floor):>12.2f} {float((floor <= N).mean()):>12.3f}")
    print(f"floor = percentile {pct:.1f} of the negatives")


if __name__ == "__main__":
    main()
