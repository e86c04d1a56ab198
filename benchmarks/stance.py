"""Stance accuracy (issue 9): is a claim pro or con a motion?

    python benchmarks/stance.py [--folds benchmarks/stance_folds.json] [--no-shipped]

The stance is the model's "does the text speak well of the motion's target", flipped when the motion
leans against its target (bot/engine/motion_frame.py parses both from the motion's words).

1. Leave-motions-out over the 25 IBM claim_stance train motions: 5 folds of 5 motions, each fold's
   model trained (benchmarks/train_stance_model.py --holdout-fold K) without those motions' claims
   (ArgKP and GPR-KB-55 data stay in every fold). The fold models need torch, so they are trained
   in a throwaway venv; their held-out predictions are merged into benchmarks/stance_folds.json,
   which this script scores: accuracy per fold, per motion, and on casual rewrites of the
   held-out claims (three seeded rewrites each, train_stance_model.casualise). Always-pro baseline.
2. The shipped model (bot/engine/stance.py, int8 ONNX) on data it never saw in training: the ArgKP
   dev split (arguments with their stance toward 3 dev topics) and the seed pack's claims (their side
   toward their motion), each as written and in three seeded casual rewrites; and its warm latency.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from train_stance_model import DATA, casualise  # noqa: E402


def folds_report(path: Path) -> None:
    """Leave-motions-out accuracy from the merged fold predictions."""
    obj = json.loads(path.read_text(encoding="utf-8"))
    rows = obj["claims"]
    by_fold: dict[int, list[dict]] = defaultdict(list)
    by_motion: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_fold[r["fold"]].append(r)
        by_motion[r["motion"]].append(r)

    def acc(rs: list[dict], key: str = "p_formal") -> float:
        if key == "p_casual":
            return statistics.mean((p >= 0.5) == bool(r["pro"]) for r in rs for p in r["p_casual"])
        return statistics.mean((r[key] >= 0.5) == bool(r["pro"]) for r in rs)

    print(f"leave-motions-out, {len(rows)} claims, {len(by_motion)} motions")
    for run in obj["runs"]:
        print(f"  fold {run['holdout_fold']}: {run['epochs']} epochs, trained in {run['train_seconds']} s")
    print(f"{'fold':>4} {'claims':>6} {'always-pro':>10} {'formal':>7} {'casual':>7}")
    fold_accs = []
    for k in sorted(by_fold):
        rs = by_fold[k]
        a = acc(rs)
        fold_accs.append(a)
        print(f"{k:>4} {len(rs):>6} {statistics.mean(r['pro'] for r in rs):>10.3f} {a:>7.3f} {acc(rs, 'p_casual'):>7.3f}")
    print(f"{'all':>4} {len(rows):>6} {statistics.mean(r['pro'] for r in rows):>10.3f} {acc(rows):>7.3f} "
          f"{acc(rows, 'p_casual'):>7.3f}   (mean of folds: {statistics.mean(fold_accs):.3f})")
    print("\nper motion (formal accuracy):")
    for m in sorted(by_motion, key=lambda m: acc(by_motion[m])):
        print(f"  {acc(by_motion[m]):.3f}  n={len(by_motion[m]):>3}  {m}")


def frames_report() -> None:
    """The parsed motion polarity (bot/engine/motion_frame.py) against IBM's annotated topicSentiment."""
    from bot.engine.motion_frame import motion_frame

    with (DATA / "ibm" / "claim_stance" / "claims_train.csv").open(encoding="utf-8") as f:
        gold = {r["topicText"]: int(r["topicSentiment"]) for r in csv.DictReader(f)}
    agree = sum(motion_frame(m).polarity == g for m, g in gold.items())
    print(f"\nmotion polarity parsed by rules vs IBM's annotation: {agree}/{len(gold)} train motions "
          f"(the rules were written with these motions in view: a development figure)")


def shipped_report() -> None:
    """The shipped ONNX model on ArgKP dev and the seed pack, formal and casual; warm latency."""
    import yaml

    from bot.engine import stance

    def score(items: list[tuple[str, str, int]], label: str) -> None:
        formal = casual = 0
        by_motion: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for m, t, y in items:
            by_motion[m].append((t, y))
        rng = random.Random(7)
        n_casual = 0
        for m, ty in by_motion.items():
            preds = stance.predict_stance(m, [t for t, _ in ty])
            formal += sum((p.label == "pro") == bool(y) for p, (_, y) in zip(preds, ty, strict=True))
            for _ in range(3):
                cas = [casualise(t, rng) for t, _ in ty]
                preds = stance.predict_stance(m, cas)
                casual += sum((p.label == "pro") == bool(y) for p, (_, y) in zip(preds, ty, strict=True))
                n_casual += len(ty)
        always = statistics.mean(y for _, _, y in items)
        print(f"  {label:<34} n={len(items):>4}  always-pro {max(always, 1 - always):.3f}  "
              f"formal {formal / len(items):.3f}  casual {casual / n_casual:.3f}")

    with (DATA / "argkp" / "arguments_dev.csv").open(encoding="utf-8") as f:
        dev = [(r["topic"], r["argument"], int(r["stance"] == "1")) for r in csv.DictReader(f)]
    pack = yaml.safe_load((ROOT / "prompts" / "packs" / "hanoi-summit.yaml").read_text(encoding="utf-8"))
    motions = {m["id"]: m["text"] for m in pack["motions"]}
    seed = [(motions[c["motion"]], c["text"], int(c["side"] == "pro")) for c in pack["claims"]]
    print("\nshipped model (bot/engine/models/stance-minilm), data never used in training:")
    score(dev, "ArgKP dev arguments (3 topics)")
    score(seed, "seed pack claims (5 motions)")

    motion = motions["diplomacy"]
    texts = [c["text"] for c in pack["claims"]][:20]
    stance.predict_stance(motion, ["warm-up"])
    one, twenty = [], []
    for i in range(30):
        stance._CACHE.clear()
        t0 = time.perf_counter()
        stance.predict_stance(motion, [texts[i % 20]])
        one.append(time.perf_counter() - t0)
    for _ in range(5):
        stance._CACHE.clear()
        t0 = time.perf_counter()
        stance.predict_stance(motion, texts)
        twenty.append(time.perf_counter() - t0)
    print(f"\nwarm latency (cache cleared each time): one text median {statistics.median(one) * 1e3:.1f} ms; "
          f"20 texts median {statistics.median(twenty) * 1e3:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=Path, default=ROOT / "benchmarks" / "stance_folds.json")
    ap.add_argument("--no-shipped", action="store_true")
    a = ap.parse_args()
    if a.folds.is_file():
        folds_report(a.folds)
    else:
        print(f"no fold predictions at {a.folds}; see benchmarks/train_stance_model.py")
    frames_report()
    if not a.no_shipped:
        shipped_report()


if __name__ == "__main__":
    main()
