"""Rebuttal accuracy on the seed dev set (issue 3): top-1 and top-3 by evidence paragraph.

A rebuttal is a hit when the paragraph of its first evidence quote is the gold paragraph or an
acceptable one. Top-3 asks the engine for three different rebuttals (using `exclude`, as a round
would) and counts a hit if any of them hits. Two modes: the motion and the user's side given (as in
a round), and everything inferred from the argument alone.

    python benchmarks/rebuttals.py [--data ../shared/data/seed/dev_rebuttals.json] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.engine import Decline, get_engine  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "seed" / "dev_rebuttals.json"


def run(data: dict, *, given: bool, verbose: bool = False) -> tuple[int, int, int, list[str]]:
    eng = get_engine()
    motion = eng.find_motion(data["motion"]) if given else None
    top1 = top3 = 0
    lines = []
    for item in data["items"]:
        ok = set(item["acceptable"]) | {item["gold"]}
        used: list[str] = []
        paras: list[int | None] = []
        for _ in range(3):
            r = eng.rebut(item["query"], motion_id=motion.id if motion else None,
                          side=item["side"] if given else None, exclude=used)
            if isinstance(r, Decline):
                paras.append(None)
                break
            used.append(r.claim.id)
            paras.append(r.evidence[0].paragraph)
        hit1 = paras[0] in ok
        hit3 = any(p in ok for p in paras)
        top1 += hit1
        top3 += hit3
        lines.append(f"{item['id']:>3} {'✓' if hit1 else '✗'}{'✓' if hit3 else '✗'} gold={item['gold']:<3} got={paras} {item['query'][:60]}")
    if verbose:
        print("\n".join(lines))
    return top1, top3, len(data["items"]), lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    data = json.loads(args.data.read_text(encoding="utf-8"))
    print(f"{'mode':<28} {'top-1':>7} {'top-3':>7}")
    for given, name in ((True, "motion + side given"), (False, "inferred from argument")):
        t1, t3, n, _ = run(data, given=given, verbose=args.verbose)
        print(f"{name:<28} {t1:>3}/{n:<3} {t3:>3}/{n:<3}")


if __name__ == "__main__":
    main()
