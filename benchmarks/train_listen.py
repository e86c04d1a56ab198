"""Fit listening's "does the speech make this claim?" scorer and write bot/engine/models/listen.json.

Data: IBM GPR-KB-55 on its 25 development motions (the other 25 are kept back by the data's owners):
- idebate claims against single sentences of expert speeches (`idebate-claim-to-sentence-matching.csv`);
- general-purpose claims, instantiated for the motion, against whole speeches
  (`GP-claims-mentioned-in-speeches.csv`; explicit or implicit counts as made).
Features come from `listen(...)` itself (`Mention.features`: best and top-3 hybrid score, best and top-3
encoder cosine, stance agreement with the speech's side; again for one-sentence inputs). The speaker's side is the speech's polarity,
as it is known in a round. Leave-motions-out (5 folds of 5 motions) ROC AUC per task is printed and is
the honest figure; the shipped weights are then fitted on all 25 motions.

    python benchmarks/train_listen.py
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
DATA = ROOT.parent / "shared" / "data" / "ibm" / "gpr_kb55"
OUT = ROOT / "bot" / "engine" / "models" / "listen.json"


def collect() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features, labels, motion ids, task) for every labelled pair."""
    from listening import engine_for
    from train_gate import read_csv

    speeches = {r["speech-id"]: r for r in read_csv(DATA / "speech-transcripts.csv")}
    by_motion: dict[str, list[str]] = defaultdict(list)
    for r in speeches.values():
        by_motion[r["motion-id"]].append(r["speech-text"])
    idebate = read_csv(DATA / "idebate-claim-to-sentence-matching.csv")
    general = [r for r in read_csv(DATA / "GP-claims-mentioned-in-speeches.csv") if r["speech-id"] in speeches]
    motion_text = {r["motion-id"]: r["motion-text"] for r in idebate + general}
    engines: dict[str, object] = {}

    def eng(mid: str):
        if mid not in engines:
            engines[mid] = engine_for(motion_text[mid], by_motion.get(mid, []))
        return engines[mid]

    X, y, groups, task = [], [], [], []
    t0 = time.perf_counter()
    # idebate: one call per sentence, all its candidate claims at once
    by_sentence: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for r in idebate:
        by_sentence[(r["motion-id"], r["speech-id"], r["sentence-text"])].append(r)
    for (mid, sid, sentence), rows in by_sentence.items():
        side = speeches[sid]["speech-to-motion-polarity"].lower() if sid in speeches else None
        h = eng(mid).listen(sentence, "m", side, [r["claim-text"] for r in rows])
        for r, m in zip(rows, h.claims, strict=True):
            X.append(m.features)
            y.append(r["is-claim-mentioned-in-sentence"] == "true")
            groups.append(mid)
            task.append("idebate")
    print(f"idebate features: {time.perf_counter() - t0:.0f} s", flush=True)
    by_speech: dict[str, list[dict]] = defaultdict(list)
    for r in general:
        by_speech[r["speech-id"]].append(r)
    for sid, rows in by_speech.items():
        sp = speeches[sid]
        h = eng(sp["motion-id"]).listen(sp["speech-text"], "m", sp["speech-to-motion-polarity"].lower(),
                                        [r["GP-claim-text-for-motion"] for r in rows])
        for r, m in zip(rows, h.claims, strict=True):
            X.append(m.features)
            y.append(r["is-claim-mentioned-in-speech"] == "true")
            groups.append(sp["motion-id"])
            task.append("general")
    print(f"all features: {time.perf_counter() - t0:.0f} s", flush=True)
    return np.array(X), np.array(y, dtype=float), np.array(groups), np.array(task)


def main() -> None:
    from train_gate import fit_logistic, roc_auc

    X, y, groups, task = collect()
    Xf = X  # listening already adds the one-sentence interaction features
    motions = sorted(set(groups))
    folds = [motions[i::5] for i in range(5)]
    pred = np.zeros(len(y))
    for held in folds:
        test = np.isin(groups, held)
        coef, b = fit_logistic(Xf[~test], y[~test])
        pred[test] = 1 / (1 + np.exp(-(Xf[test] @ coef + b)))
    print("| task | pairs | positive | leave-motions-out ROC AUC | best encoder cosine alone |")
    print("|---|---|---|---|---|")
    for t in ("idebate", "general"):
        m = task == t
        print(f"| {t} | {int(m.sum())} | {int(y[m].sum())} | {roc_auc(y[m], pred[m]):.3f} | {roc_auc(y[m], X[m, 2]):.3f} |")
    coef, b = fit_logistic(Xf, y)
    OUT.write_text(json.dumps({
        "features": ["best_hybrid", "top3_hybrid", "best_encoder_cos", "top3_encoder_cos", "stance_agrees",
                     "(same five) x single_sentence", "single_sentence"],
        "coef": [round(float(x), 5) for x in coef], "intercept": round(b, 5),
        "trained_on": "IBM GPR-KB-55, 25 development motions (idebate + general-purpose claims)",
        "leave_motions_out_auc": {t: round(roc_auc(y[task == t], pred[task == t]), 3) for t in ("idebate", "general")},
    }, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
