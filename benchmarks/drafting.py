"""Drafting benchmark (issue 10): drafted packs against IBM Claim Stance's labels, leave-motions-out.

For each of the 246 train articles (25 motions) the pack is built with `motions=[its IBM motion]`
(what `pack build --motion` does) by a claim detector fitted on the other folds' motions only
(5 folds, `train_claim_detector.fold_of`). Of the first motion's drafted claims from the article:
- precision: the share whose evidence overlaps a labelled claim span;
- side agreement: of those, the share whose side equals the labelled stance;
- recall: the share of the article's labelled claims that some drafted claim's evidence overlaps.
General-purpose (GPR-KB-55) claims have no evidence and are left out of all three (counted apart).
Micro averages over all articles; also the build time of a ~3,000-word article.

    python benchmarks/drafting.py [--limit N] [--json out.json]
    python benchmarks/drafting.py --articles   # the three articles written for the test

`--articles` builds the pack of each article in tests/engine/articles/ as `pack build` does (motions
proposed), then puts each of its dozen arguments (written before the packs were built) to the bot on the
first motion, from the argument's side, and counts the answers: from an article paragraph, general
(GPR-KB-55, not from the article), or declined.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_claim_detector import N_FOLDS, article_features, fold_of, load_ibm  # noqa: E402

# the main debate of each article, worded by hand AFTER the default packs had been built (for `--given`)
MAIN_MOTIONS = {
    "four-day-week.txt": "This house believes that Britain should move to a four-day working week",
    "plastic-bag-levy.txt": "This house would double the plastic bag levy",
    "school-phone-policy.txt": "This house would ban mobile phones from school lessons",
}


def articles_eval(given: bool = False) -> None:
    """Debate the three written-for-the-test articles on their drafted packs (with `given`: built for MAIN_MOTIONS)."""
    import yaml

    from bot.engine.article import load_article
    from bot.engine.core import Engine
    from bot.engine.drafting import draft_pack
    from bot.engine.pack import load_pack, pack_quality
    from bot.engine.results import Decline

    folder = ROOT / "tests" / "engine" / "articles"
    arguments = yaml.safe_load((folder / "arguments.yaml").read_text(encoding="utf-8"))
    total = {"article": 0, "general": 0, "declined": 0, "n": 0}
    for name, args in arguments.items():
        art = load_article(folder / name)
        w = time.time()
        pack = load_pack(draft_pack(art, motions=[MAIN_MOTIONS[name]] if given else None).to_yaml(), art)
        q = pack_quality(pack)
        eng = Engine(art, pack)
        m = pack.motions[0]
        print(f"\n=== {name}: built in {time.time() - w:.1f} s; motion m1: {m.text}")
        print("    " + q.summary().replace("\n", "\n    "))
        counts = {"article": 0, "general": 0, "declined": 0}
        for a in args:
            r = eng.rebut(a["text"], m.id, a["side"])
            if isinstance(r, Decline):
                kind, said = "declined", r.reason
            elif r.source == "general":
                kind, said = "general", r.text
            else:
                kind, said = "article", (r.evidence[0].quote if r.evidence else r.text)
            counts[kind] += 1
            print(f"  [{a['side']}] {a['text'][:70]}\n      -> {kind} ({r.side if kind != 'declined' else '-'}): "
                  f"{said[:150]}")
        print(f"  {name}: {counts}")
        for k, v in counts.items():
            total[k] += v
        total["n"] += len(args)
    print("\nall:", total)


def main() -> None:
    """Run from the command line (see the module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="only the first N articles per motion (0: all)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--articles", action="store_true", help="debate the three written-for-the-test articles")
    ap.add_argument("--given", action="store_true", help="with --articles: build each pack for its main motion")
    ap.add_argument("--candidates", type=int, default=0, help="ablation: sentences the stance model reads per motion")
    args = ap.parse_args()
    if args.candidates:
        from bot.engine import drafting

        drafting.CANDIDATES = drafting.MIN_CANDIDATES = args.candidates
    if args.articles:
        articles_eval(args.given)
        return

    from bot.engine.claims import fit_detector
    from bot.engine.drafting import draft_pack

    t0 = time.time()
    arts = load_ibm()
    folds = fold_of([a.motion_id for a in arts])
    feats = [article_features(a) for a in arts]
    dets = {}
    for k in range(N_FOLDS):
        tr = [f for a, f in zip(arts, feats, strict=True) if folds[a.motion_id] != k]
        dets[k] = fit_detector(np.vstack([x for x, _ in tr]), np.concatenate([y for _, y in tr]), l2=1.0)
    print(f"fold detectors in {time.time() - t0:.0f} s", flush=True)
    if args.limit:
        seen: dict[str, int] = {}
        keep = []
        for a in arts:
            seen[a.motion_id] = seen.get(a.motion_id, 0) + 1
            if seen[a.motion_id] <= args.limit:
                keep.append(a)
        arts = keep
    n_claims = n_hit = n_side = n_lab = n_cov = n_general = n_one_sided = 0
    per_motion: dict[str, list[int]] = {}
    t1 = time.time()
    for i, a in enumerate(arts):
        try:
            pack = draft_pack(a.article, motions=[a.motion], detector=dets[folds[a.motion_id]], general=False)
        except ValueError:
            pack = None
        claims = [c for c in pack.claims_for("m1") if not c.general] if pack else []
        n_general += sum(c.general for c in pack.claims_for("m1")) if pack else 0
        n_one_sided += bool(pack and pack.motions[0].one_sided)
        hits = sides = 0
        for c in claims:
            ev = c.evidence[0]
            over = [sp for sp in a.spans if ev.start < sp[1] and sp[0] < ev.end]
            if over:
                hits += 1
                sides += c.side == over[0][2]
        covered = sum(any(c.evidence[0].start < e and s < c.evidence[0].end for c in claims) for s, e, _, _ in a.spans)
        n_claims += len(claims)
        n_hit += hits
        n_side += sides
        n_lab += len(a.spans)
        n_cov += covered
        pm = per_motion.setdefault(a.motion, [0, 0, 0, 0, 0])
        for j, v in enumerate((len(claims), hits, sides, len(a.spans), covered)):
            pm[j] += v
        if i % 20 == 0:
            print(f"{i}/{len(arts)} articles, {time.time() - t1:.0f} s", flush=True)
    res = {
        "articles": len(arts), "drafted_claims": n_claims, "labelled_claims": n_lab,
        "precision": round(n_hit / max(1, n_claims), 3), "side_agreement": round(n_side / max(1, n_hit), 3),
        "recall": round(n_cov / max(1, n_lab), 3), "one_sided_motions": n_one_sided,
        "seconds_per_article": round((time.time() - t1) / max(1, len(arts)), 2),
        "per_motion": {m: {"claims": v[0], "precision": round(v[1] / max(1, v[0]), 3),
                           "side": round(v[2] / max(1, v[1]), 3), "recall": round(v[4] / max(1, v[3]), 3)}
                       for m, v in per_motion.items()},
    }
    # build time of a ~3,000-word article (pack build's path: motions proposed, with general claims)
    long = min(arts, key=lambda a: abs(len(a.article.text.split()) - 3000))
    w = time.time()
    c = time.process_time()
    draft_pack(long.article)
    res["build_3000_words"] = {"words": len(long.article.text.split()), "wall_s": round(time.time() - w, 1),
                               "cpu_s": round(time.process_time() - c, 1)}
    w = time.time()
    c = time.process_time()
    draft_pack(long.article, motions=[long.motion])
    res["build_3000_words_given_motion"] = {"wall_s": round(time.time() - w, 1),
                                            "cpu_s": round(time.process_time() - c, 1)}
    print(json.dumps({k: v for k, v in res.items() if k != "per_motion"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
