"""Fit the on-topic gate (bot/engine/gate.py) and write bot/engine/models/gate.json.

Data, all outside the seed article:
- positives: IBM Claim Stance claims (25 train motions) against the debate of their own motion: the
  motion text, the sentences of the motion's *other* articles (the claim's own article is left out,
  so a claim is never compared with itself) and the motion's other labelled claims; plus the same
  claims rewritten casually (lower case, no punctuation, first clause only) so that short and
  informal arguments are not mistaken for off-topic ones;
- negatives: the same claims against another motion's debate, and ArgKP arguments (other topics).

Features are those of `gate.features`: motion cosine, best and top-3 mean sentence cosine, best
claim cosine (the fine-tuned MiniLM encoder). Leave-motions-out (5 folds) accuracy and ROC AUC are
printed; the shipped weights are fitted on everything.

    python benchmarks/train_gate.py [--max-sentences 250]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bot" / "engine" / "models" / "gate.json"


def read_csv(path: Path) -> list[dict]:
    """All rows of a CSV file as dicts."""
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def casual(text: str, rng: random.Random) -> str:
    """A claim as a chat message: lower case, no punctuation, maybe only its first clause."""
    t = re.sub(r"[^\w\s']", "", text.lower())
    words = t.split()
    if len(words) > 8 and rng.random() < 0.5:
        words = words[: max(5, len(words) // 2)]
    return " ".join(words)


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression by Newton's method: (coef, intercept)."""
    w_pos = 0.5 / max(y.mean(), 1e-9)
    w_neg = 0.5 / max(1 - y.mean(), 1e-9)
    sw = np.where(y == 1, w_pos, w_neg)
    A = np.hstack([X, np.ones((len(X), 1))])
    beta = np.zeros(A.shape[1])
    reg = np.full(A.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-A @ beta))
        g = A.T @ (sw * (p - y)) + reg * beta
        H = (A * (sw * p * (1 - p))[:, None]).T @ A + np.diag(reg) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    npos = int(y.sum())
    nneg = len(y) - npos
    return float((ranks[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-sentences", type=int, default=250)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    from bot.engine.article import split_sentences
    from bot.engine.encoder import get_encoder

    enc = get_encoder()
    rows = read_csv(DATA / "ibm" / "claim_stance" / "claims_train.csv")
    topics: dict[str, dict] = {}
    for r in rows:
        t = topics.setdefault(r["topicId"], {"motion": r["topicText"], "claims": [], "files": set()})
        t["claims"].append((r["claims.claimCorrectedText"], r["claims.article.cleanFile"]))
        t["files"].add(r["claims.article.cleanFile"])
    base = DATA / "ibm" / "claim_stance"
    for tid, t in topics.items():
        sents: list[tuple[str, str]] = []
        for f in sorted(t["files"]):
            text = (base / f).read_text(encoding="utf-8", errors="replace")
            for s, e in split_sentences(text):
                piece = text[s:e].strip()
                if 5 <= len(piece.split()) <= 60:
                    sents.append((piece, f))
        rng.shuffle(sents)
        t["sents"] = sents[: args.max_sentences * 2]
        print(f"topic {tid}: {len(t['claims'])} claims, {len(t['sents'])} sentences", flush=True)

    cache: dict[str, np.ndarray] = {}

    def vec(texts: list[str]) -> np.ndarray:
        todo = [x for x in dict.fromkeys(texts) if x not in cache]
        if todo:
            for x, v in zip(todo, enc.encode(todo), strict=True):
                cache[x] = v
        return np.stack([cache[x] for x in texts]) if texts else np.zeros((0, enc.dim), np.float32)

    for t in topics.values():
        t["mvec"] = vec([t["motion"]])[0]
        t["svecs"] = vec([s for s, _ in t["sents"]])
        t["sfiles"] = np.array([f for _, f in t["sents"]])
        t["cvecs"] = vec([c for c, _ in t["claims"]])
        t["cfiles"] = np.array([f for _, f in t["claims"]])
    argkp = [r["argument"] for r in read_csv(DATA / "argkp" / "arguments_train.csv")]
    rng.shuffle(argkp)
    argkp = argkp[:600]
    avecs = vec(argkp)

    def feats(q: np.ndarray, t: dict, own_file: str | None) -> list[float]:
        keep_s = t["sfiles"] != own_file if own_file else np.ones(len(t["sfiles"]), bool)
        keep_c = t["cfiles"] != own_file if own_file else np.ones(len(t["cfiles"]), bool)
        s = np.sort(t["svecs"][keep_s] @ q)[::-1][: args.max_sentences]
        s = s if len(s) else np.zeros(1)
        c = t["cvecs"][keep_c] @ q
        return [float(t["mvec"] @ q), float(s[0]), float(s[:3].mean()), float(c.max()) if len(c) else float(s[0])]

    tids = sorted(topics)
    X, y, group = [], [], []
    for tid in tids:
        t = topics[tid]
        others = [o for o in tids if o != tid]
        texts = [c for c, _ in t["claims"]]
        cas = [casual(c, rng) for c in texts]
        cvec = vec(cas)
        for (_, f), v, cv in zip(t["claims"], t["cvecs"], cvec, strict=True):
            o = topics[rng.choice(others)]
            for q, ctx, own, label in ((v, t, f, 1), (cv, t, f, 1), (v, o, None, 0), (cv, o, None, 0)):
                X.append(feats(q, ctx, own))
                y.append(label)
                group.append(tid)
        for v in avecs[rng.sample(range(len(argkp)), 30)]:
            X.append(feats(v, t, None))
            y.append(0)
            group.append(tid)
    X, y, group = np.array(X), np.array(y), np.array(group)
    print(f"{len(y)} examples, {int(y.sum())} positive", flush=True)

    folds = [tids[i::5] for i in range(5)]
    accs, aucs = [], []
    for held in folds:
        test = np.isin(group, held)
        coef, b = fit_logistic(X[~test], y[~test])
        p = 1 / (1 + np.exp(-(X[test] @ coef + b)))
        accs.append(float(((p >= 0.5) == y[test]).mean()))
        aucs.append(roc_auc(y[test], p))
    print("| fold | accuracy | ROC AUC |\n|---|---|---|")
    for i, (a, u) in enumerate(zip(accs, aucs, strict=True)):
        print(f"| {i + 1} | {a:.3f} | {u:.3f} |")
    print(f"| mean | {np.mean(accs):.3f} | {np.mean(aucs):.3f} |")
    coef, b = fit_logistic(X, y)
    OUT.write_text(json.dumps({
        "features": ["motion_cos", "best_sentence_cos", "top3_sentence_cos", "best_claim_cos"],
        "coef": [round(float(x), 5) for x in coef], "intercept": round(b, 5),
        "threshold": 0.5, "trained_on": "IBM Claim Stance train (25 motions) + ArgKP train negatives",
        "leave_motions_out": {"accuracy": round(float(np.mean(accs)), 3), "roc_auc": round(float(np.mean(aucs)), 3)},
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
