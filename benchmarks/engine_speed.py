"""Engine speed and memory (issues 3, 9): cold start, warm rebuttal latency, listening, RSS, pack build time.

    python benchmarks/engine_speed.py [--n 2000]

Cold start is measured in a fresh interpreter: import bot.engine, load WordLlama, load and index
the seed article and pack, answer one rebuttal. RSS is that process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD = r"""
import time, resource, json
t0 = time.perf_counter()
from bot.engine import get_engine
eng = get_engine()
r = eng.rebut("Human rights must be part of any deal with North Korea.")
t1 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"cold_s": t1 - t0, "rss_mb": rss}))
"""

BUILD = r"""
import time, json
t0 = time.perf_counter()
from bot.engine.article import load_article
from bot.engine.drafting import draft_pack
from bot.engine.pack import load_pack
from bot.config import DEFAULT_ARTICLE
a = load_article(DEFAULT_ARTICLE)
p = draft_pack(a)
load_pack(p.to_yaml(), a)
print(json.dumps({"build_s": time.perf_counter() - t0, "motions": len(p.motions), "claims": len(p.claims)}))
"""

ARGS = [
    "Human rights must be part of any deal with North Korea.",
    "Canceling the joint military exercises abandons our ally South Korea.",
    "Kim cannot be trusted; he is a brutal dictator.",
    "The summit was a total failure and a humiliation for America.",
    "No sanctions relief until North Korea gives up every nuclear weapon.",
    "Sanctions and pressure will make Kim give in.",
    "Warmbier was tortured to death by the regime.",
    "Bolton wants regime change and sabotaged Hanoi.",
    "I love pizza and football.",
    "We should build more schools and hospitals in our city because education matters a lot to everyone here.",
]


def fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="warm rebuttals to time")
    ap.add_argument("--runs", type=int, default=5, help="fresh processes for cold start / build")
    args = ap.parse_args()

    colds = [fresh(COLD) for _ in range(args.runs)]
    builds = [fresh(BUILD) for _ in range(args.runs)]

    from bot.engine import get_engine

    eng = get_engine()
    for a in ARGS:
        eng.rebut(a)
    lat = []
    for i in range(args.n):
        a = ARGS[i % len(ARGS)]
        t = time.perf_counter()
        eng.rebut(a, exclude=("dip-pro-dictator",) if i % 3 == 0 else ())
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p99 = lat[int(0.99 * (len(lat) - 1))]
    # listening to a 300-word speech: a different window of the article each time (no cache hits)
    words = eng.article.text.split()
    heard = []
    for i in range(30):
        text = " ".join(words[i * 20: i * 20 + 300])
        t = time.perf_counter()
        eng.listen(text, "diplomacy", "pro")
        heard.append((time.perf_counter() - t) * 1000)
    sp = []
    for _ in range(50):
        t = time.perf_counter()
        eng.score(" ".join(ARGS[:6]), "diplomacy", "con", opponent_text=ARGS[7])
        sp.append((time.perf_counter() - t) * 1000)

    cold = statistics.median(c["cold_s"] for c in colds)
    rss = max(c["rss_mb"] for c in colds)
    build = statistics.median(b["build_s"] for b in builds)
    rows = [
        ("warm rebuttal median", f"{statistics.median(lat):.2f} ms", "≤ 5 ms"),
        ("warm rebuttal p99", f"{p99:.2f} ms", "≤ 20 ms"),
        (f"cold start (median of {args.runs})", f"{cold:.2f} s", "≤ 1.5 s"),
        ("peak RSS", f"{rss:.0f} MB", "≤ 350 MB"),
        ("listen, 300-word speech (median of 30)", f"{statistics.median(heard):.0f} ms", "≤ 50 ms"),
        ("pack build, seed article (median)", f"{build:.2f} s", "≤ 5 s"),
        ("score a 6-sentence speech (median)", f"{statistics.median(sp):.1f} ms", "-"),
    ]
    print(f"{'measure':<36} {'value':>10}  target")
    for name, val, tgt in rows:
        print(f"{name:<36} {val:>10}  {tgt}")


if __name__ == "__main__":
    main()
