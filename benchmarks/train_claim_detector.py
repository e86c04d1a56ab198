"""Fit the claim detector (bot/engine/claims.py) and write bot/engine/models/claim-detector.json.

Data: the 246 IBM Claim Stance train articles (25 motions). Each article is loaded as the bot loads
one (its Wikipedia title first, then `parse_article`); a sentence that overlaps a labelled claim span
of the article's motion is a positive, every other body sentence of the same articles a negative.
Features are `claims.feature_matrix` (lexical cues, closeness to the motion; see its docstring).
Leave-motions-out (5 folds of 5 motions) ROC AUC and precision at the top 8 per article are printed;
the shipped weights are fitted on everything. `load_ibm` and `fold_of` are shared with
benchmarks/drafting.py, which uses fold models so that no article is scored by a detector trained
on its motion.

    python benchmarks/train_claim_detector.py
"""

from __future__ import annotations

import csv
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "ibm" / "claim_stance"
OUT = ROOT / "bot" / "engine" / "models" / "claim-detector.json"
CACHE = Path("/tmp/ibm_claims_cache.pkl")
N_FOLDS = 5


@dataclass
class IbmArticle:
    """One IBM article as the bot sees it, with its labelled claim spans (offsets into article.text)."""

    motion: str
    motion_id: str
    path: str
    article: object  # bot.engine.article.Article
    spans: list[tuple[int, int, str, str]]  # start, end, stance ("pro"/"con"), claim text


def load_ibm() -> list[IbmArticle]:
    """All 246 train articles with their labelled claims (cached in /tmp)."""
    if CACHE.is_file():
        class _Unpickler(pickle.Unpickler):
            def find_class(self, module, name):  # the cache may have been written by __main__
                return IbmArticle if name == "IbmArticle" else super().find_class(module, name)

        with CACHE.open("rb") as f:
            return _Unpickler(f).load()
    from bot.engine.article import parse_article

    with open(DATA / "articles_train.csv", encoding="utf-8") as f:
        titles = {r["cleanFile"]: r["title"] for r in csv.DictReader(f)}
    with open(DATA / "claims_train.csv", encoding="utf-8") as f:
        claims = list(csv.DictReader(f))
    motion_of: dict[str, tuple[str, str]] = {}
    for r in claims:
        motion_of.setdefault(r["topicId"], (r["topicText"], r["topicId"]))
    out = []
    for path, title in titles.items():
        tid = path.split("/")[1][1:]
        raw = (DATA / path).read_text(encoding="utf-8")
        head = title.strip() + "\n\n"
        art = parse_article(head + raw, fmt="text", source=path)
        spans = [(int(r["claims.article.cleanSpan.start"]) + len(head), int(r["claims.article.cleanSpan.end"]) + len(head),
                  r["claims.stance"].lower(), r["claims.claimCorrectedText"])
                 for r in claims if r["claims.article.cleanFile"] == path]
        motion, mid = motion_of.get(tid, ("", tid))
        if motion:
            out.append(IbmArticle(motion, mid, path, art, spans))
    CACHE.write_bytes(pickle.dumps(out))
    return out


def fold_of(motion_ids: list[str]) -> dict[str, int]:
    """Motion id -> fold (sorted ids dealt round-robin into N_FOLDS folds)."""
    return {m: i % N_FOLDS for i, m in enumerate(sorted(set(motion_ids), key=int))}


def body_sentences(art) -> list:
    """The sentences the drafter considers (not headings)."""
    return [s for s in art.sentences if not art.is_heading(s.paragraph)]


def article_features(a: IbmArticle):
    """(features, labels) for one article's body sentences."""
    from bot.engine.claims import embed_unit, feature_matrix

    sents = body_sentences(a.article)
    texts = [s.text for s in sents]
    vecs = embed_unit(texts)
    x = feature_matrix(texts, vecs, a.motion, embed_unit([a.motion])[0])
    y = np.array([float(any(s.start < e and st < s.end for st, e, _, _ in a.spans)) for s in sents])
    return x, y


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC by ranks."""
    order = np.argsort(p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(1, len(p) + 1)
    npos = y.sum()
    nneg = len(y) - npos
    return float((ranks[y > 0].sum() - npos * (npos + 1) / 2) / max(1, npos * nneg))


def main() -> None:
    """Run from the command line (see the module docstring)."""
    from bot.engine.claims import fit_detector

    t0 = time.time()
    arts = load_ibm()
    print(f"{len(arts)} articles loaded in {time.time() - t0:.0f} s")
    feats = [article_features(a) for a in arts]
    print(f"features in {time.time() - t0:.0f} s; {sum(len(y) for _, y in feats)} sentences, "
          f"{int(sum(y.sum() for _, y in feats))} positive")
    folds = fold_of([a.motion_id for a in arts])
    all_p, all_y, top = [], [], []
    for k in range(N_FOLDS):
        tr = [f for a, f in zip(arts, feats, strict=True) if folds[a.motion_id] != k]
        det = fit_detector(np.vstack([x for x, _ in tr]), np.concatenate([y for _, y in tr]), l2=1.0)
        for a, (x, y) in zip(arts, feats, strict=True):
            if folds[a.motion_id] == k:
                p = det.prob(x)
                all_p.append(p)
                all_y.append(y)
                if y.sum():
                    top.append(y[np.argsort(-p)[:8]].mean())
    print(f"leave-motions-out AUC {auc(np.concatenate(all_y), np.concatenate(all_p)):.3f}, "
          f"precision@8 per article {np.mean(top):.3f}")
    x = np.vstack([x for x, _ in feats])
    y = np.concatenate([y for _, y in feats])
    det = fit_detector(x, y, l2=1.0)
    OUT.write_text(det.to_json() + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB) in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
