"""ArgKP-2021 Track 1 (key-point matching) with the engine's matcher (issue 3).

    python benchmarks/argkp.py --data ../shared/data/argkp --split dev --out predictions.json

Reads arguments_NAME.csv, key_points_NAME.csv, labels_NAME.csv from DIR; writes
{arg_id: {kp_id: score}} for the key points of the argument's topic and stance; prints mAP strict
and relaxed on both scales:
  competition - plain AP per (topic, stance), the 2021 leaderboard's scale;
  final       - the organisers' later script: AP x (matches among the kept pairs / kept pairs).
Each argument is paired with its best key point; per (topic, stance) the top floor(n/2) pairs by
score are kept; an unlabeled pair is a non-match (strict) or a match (relaxed).

Each argument is scored alone (its text, its topic and the topic's key points); the only
statistics used come from the training split (--train, default "train"), on which a small
logistic regression over matcher features is fitted (undecided pairs as non-matches, L2 = 30).
The split being scored is never used for statistics.

Features: WordLlama cosines (plain, SIF, topic direction removed), IDF-weighted word overlap with
the topic's words removed, soft token alignment, and the cosine of a MiniLM-L6 bi-encoder
fine-tuned on the train split (bot/engine/encoder.py, int8 ONNX; trained by
benchmarks/train_argkp_model.py). For the training pairs that cosine is out-of-fold
(benchmarks/argkp_train_oof.json). --no-encoder gives the static-features-only model.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine import encoder as ft_encoder  # noqa: E402
from bot.engine.matcher import get_model, tokenize  # noqa: E402

OOF_PATH = ROOT / "benchmarks" / "argkp_train_oof.json"

# ---------------------------------------------------------------------------------------- data


def read_split(data: Path, name: str) -> tuple[dict, dict, dict]:
    def rows(fn: str):
        with open(data / fn, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    args = {r["arg_id"]: (r["argument"], r["topic"], int(r["stance"])) for r in rows(f"arguments_{name}.csv")}
    kps = {r["key_point_id"]: (r["key_point"], r["topic"], int(r["stance"])) for r in rows(f"key_points_{name}.csv")}
    labels: dict[tuple[str, str], int] = {}
    lab_path = data / f"labels_{name}.csv"
    if lab_path.is_file():
        for r in rows(f"labels_{name}.csv"):
            labels[(r["arg_id"], r["key_point_id"])] = int(r["label"])
    return args, kps, labels


# ---------------------------------------------------------------------------------------- metric


def average_precision(y_true: list[int], y_score: list[float]) -> float:
    """sklearn.metrics.average_precision_score (step-wise, ties grouped by distinct score)."""
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(y_score, dtype=float)
    if len(y) == 0 or y.sum() == 0:
        return 0.0
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, len(y) - 1]
    tps = np.cumsum(y)[idx]
    fps = 1 + idx - tps
    precision = tps / (tps + fps)
    recall = tps / y.sum()
    prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - prev) * precision))


def evaluate(preds: dict[str, dict[str, float]], args: dict, labels: dict) -> dict[str, float]:
    """mAP strict/relaxed on the competition and final scales."""
    groups: dict[tuple[str, int], list[tuple[float, str, str]]] = defaultdict(list)
    for aid, (_, topic, stance) in args.items():
        scores = preds.get(aid) or {}
        if not scores:
            continue
        kp, sc = max(scores.items(), key=lambda x: x[1])
        groups[(topic, stance)].append((sc, aid, kp))
    out = {"strict": [], "relaxed": [], "strict_final": [], "relaxed_final": []}
    for pairs in groups.values():
        pairs.sort(key=lambda x: -x[0])
        kept = pairs[: int(len(pairs) * 0.5)]
        if not kept:
            continue
        for mode, missing in (("strict", 0), ("relaxed", 1)):
            y = [labels.get((a, k), missing) for _, a, k in kept]
            ap = average_precision(y, [s for s, _, _ in kept])
            out[mode].append(ap)
            out[mode + "_final"].append(ap * sum(y) / len(y))
    return {k: float(np.mean(v)) if v else 0.0 for k, v in out.items()}


# ---------------------------------------------------------------------------------------- features

_TOPIC_EXTRA = {"should", "we", "be", "banned", "ban", "abolish", "abolished", "legalize", "legalized", "adopt",
                "subsidize", "subsidized", "use", "abandon", "introduce", "compulsory", "mandatory", "allow", "allowed",
                "prohibit", "prohibited", "end", "fight", "limit", "limited", "criminal", "offence", "the", "of"}


class Featurizer:
    """Pair features for (argument, key point) under a topic. Fitted on training text only."""

    def __init__(self, train_texts: list[str], encoder=None) -> None:
        self.encoder = encoder  # fine-tuned sentence encoder (bot.engine.encoder), or None
        self.model = get_model()
        self.emb = self.model.embedding.astype(np.float32)
        # token statistics from training arguments + key points: SIF weights and BM25 IDF
        enc = self.model.tokenize(train_texts)
        freq = Counter()
        for e in enc:
            freq.update([i for i, m in zip(e.ids, e.attention_mask, strict=False) if m])
        total = sum(freq.values())
        a = 1e-3
        self.sif = np.full(self.emb.shape[0], 1.0, dtype=np.float32)
        for tid, c in freq.items():
            self.sif[tid] = a / (a + c / total)
        docs = [set(tokenize(t)) for t in train_texts]
        df = Counter(t for d in docs for t in d)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        vecs = self._sif_vecs(train_texts)
        self.mean = vecs.mean(axis=0)
        centred = vecs - self.mean
        # first principal component (SIF's common-discourse direction), from training text
        _, _, vt = np.linalg.svd(centred[:4000], full_matrices=False)
        self.pc = vt[0]
        self.tokn = self.emb / (np.linalg.norm(self.emb, axis=1, keepdims=True) + 1e-9)

    def _ids(self, texts: list[str]) -> list[np.ndarray]:
        out = []
        for e in self.model.tokenize(texts):
            ids = np.array([i for i, m in zip(e.ids, e.attention_mask, strict=False) if m], dtype=np.int64)
            out.append(np.clip(ids, 0, self.emb.shape[0] - 1))
        return out

    def _sif_vecs(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.emb.shape[1]), dtype=np.float32)
        for i, ids in enumerate(self._ids(texts)):
            if len(ids):
                w = self.sif[ids][:, None]
                out[i] = (self.emb[ids] * w).sum(axis=0) / w.sum()
        return out

    def encode(self, texts: list[str], *, with_ft: bool = True) -> dict:
        """Per-text representations used by `pair_features`."""
        plain = np.asarray(self.model.embed(texts, norm=True), dtype=np.float32)
        sif = self._sif_vecs(texts) - self.mean
        sif -= np.outer(sif @ self.pc, self.pc)
        sif /= np.linalg.norm(sif, axis=1, keepdims=True) + 1e-9
        out = {"plain": plain, "sif": sif, "ids": self._ids(texts), "toks": [set(tokenize(t)) for t in texts]}
        if self.encoder is not None and with_ft:
            out["ft"] = self.encoder.encode(texts)
        return out

    def term_idf(self, t: str) -> float:
        return self.idf.get(t, self.max_idf)

    def topic_terms(self, topic: str) -> set[str]:
        return set(tokenize(topic)) | set(tokenize(" ".join(_TOPIC_EXTRA)))

    def _project_out(self, v: np.ndarray, t: np.ndarray) -> np.ndarray:
        v = v - np.outer(v @ t, t) if v.ndim == 2 else v - (v @ t) * t
        return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-9)

    def features(self, arg: str, topic: str, kp_texts: list[str], kp_enc: dict | None = None,
                 topic_enc: dict | None = None, ft_cos: np.ndarray | None = None) -> np.ndarray:
        """Feature matrix (n_kps, F) for one argument against its topic's key points.

        With an encoder, the fine-tuned cosine is one more base feature; `ft_cos` overrides it
        (out-of-fold values when fitting the logistic regression on the training split).
        """
        a = self.encode([arg]) if ft_cos is None else self.encode([arg], with_ft=False)
        k = kp_enc or self.encode(kp_texts)
        t = topic_enc or self.encode([topic])
        tp, ts = t["plain"][0], t["sif"][0]
        cos_plain = k["plain"] @ a["plain"][0]
        cos_sif = k["sif"] @ a["sif"][0]
        a_nt = self._project_out(a["plain"][0], tp)
        k_nt = self._project_out(k["plain"], tp)
        cos_notopic = k_nt @ a_nt
        a_snt = self._project_out(a["sif"][0], ts)
        k_snt = self._project_out(k["sif"], ts)
        cos_sif_notopic = k_snt @ a_snt
        topic_sim = float(a["plain"][0] @ tp)
        # lexical, topic words removed
        tterms = self.topic_terms(topic)
        at = a["toks"][0] - tterms
        lex_k_in_a, lex_a_in_k, jac = [], [], []
        for kt in k["toks"]:
            kt = kt - tterms
            inter = kt & at
            ik = sum(self.term_idf(x) for x in kt) or 1.0
            ia = sum(self.term_idf(x) for x in at) or 1.0
            ii = sum(self.term_idf(x) for x in inter)
            lex_k_in_a.append(ii / ik)
            lex_a_in_k.append(ii / ia)
            jac.append(len(inter) / (len(kt | at) or 1))
        # soft token alignment (BERTScore-like) with SIF weights, topic tokens down-weighted
        aids = a["ids"][0]
        topic_ids = set(t["ids"][0].tolist())
        align_k, align_a = [], []
        A = self.tokn[aids] if len(aids) else np.zeros((1, self.emb.shape[1]), dtype=np.float32)
        wa = self.sif[aids] * np.array([0.2 if i in topic_ids else 1.0 for i in aids]) if len(aids) else np.ones(1)
        for kids in k["ids"]:
            if not len(kids) or not len(aids):
                align_k.append(0.0)
                align_a.append(0.0)
                continue
            K = self.tokn[kids]
            sim = K @ A.T
            wk = self.sif[kids] * np.array([0.2 if i in topic_ids else 1.0 for i in kids])
            align_k.append(float((sim.max(axis=1) * wk).sum() / wk.sum()))
            align_a.append(float((sim.max(axis=0) * wa).sum() / wa.sum()))
        cols = [cos_plain, cos_sif, cos_notopic, cos_sif_notopic, np.array(lex_k_in_a), np.array(lex_a_in_k),
                np.array(jac), np.array(align_k), np.array(align_a)]
        if self.encoder is not None:
            cols.append(np.asarray(ft_cos, dtype=np.float32) if ft_cos is not None else k["ft"] @ a["ft"][0])
        base = np.stack(cols, axis=1).astype(np.float32)
        # relative to the other key points of the topic (key points, never other arguments)
        rel = base - base.max(axis=0, keepdims=True)
        dev = base - base.mean(axis=0, keepdims=True)
        n_tok = np.full((len(kp_texts), 1), math.log(1 + len(arg.split())), dtype=np.float32)
        ts_col = np.full((len(kp_texts), 1), topic_sim, dtype=np.float32)
        kp_len = np.array([[math.log(1 + len(x.split()))] for x in kp_texts], dtype=np.float32)
        return np.concatenate([base, rel, dev, n_tok, ts_col, kp_len], axis=1)


FEATURE_NAMES = (["cos_plain", "cos_sif", "cos_notopic", "cos_sif_notopic", "lex_kp_in_arg", "lex_arg_in_kp",
                  "jaccard", "align_kp", "align_arg"])


# ---------------------------------------------------------------------------------------- model


class Logistic:
    """L2-regularised logistic regression (Newton's method), standardised inputs."""

    def __init__(self, l2: float = 1.0) -> None:
        self.l2 = l2

    def fit(self, X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> Logistic:
        self.mu = X.mean(axis=0)
        self.sd = X.std(axis=0) + 1e-6
        Z = np.c_[(X - self.mu) / self.sd, np.ones(len(X))]
        w_s = np.ones(len(X)) if w is None else w
        beta = np.zeros(Z.shape[1])
        reg = np.full(Z.shape[1], self.l2)
        reg[-1] = 0.0
        for _ in range(30):
            p = 1 / (1 + np.exp(-(Z @ beta)))
            g = Z.T @ (w_s * (p - y)) + reg * beta
            H = (Z * (w_s * p * (1 - p))[:, None]).T @ Z + np.diag(reg + 1e-9)
            step = np.linalg.solve(H, g)
            beta -= step
            if np.abs(step).max() < 1e-6:
                break
        self.beta = beta
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        Z = np.c_[(X - self.mu) / self.sd, np.ones(len(X))]
        return 1 / (1 + np.exp(-(Z @ self.beta)))


def expand(X: np.ndarray) -> np.ndarray:
    """A few products of the strongest features (lets a linear model use interactions)."""
    nb = (X.shape[1] - 3) // 3  # layout: base, rel, dev (nb each), then 3 length/topic columns
    base = X[:, :nb]
    inter = [base[:, i] * base[:, j] for i in range(nb) for j in range(i, nb)]
    return np.concatenate([X, np.stack(inter, axis=1)], axis=1)


# ---------------------------------------------------------------------------------------- running


def group_kps(kps: dict) -> dict[tuple[str, int], list[str]]:
    g: dict[tuple[str, int], list[str]] = defaultdict(list)
    for kid, (_, topic, stance) in kps.items():
        g[(topic, stance)].append(kid)
    return g


def predict_split(fz: Featurizer, args: dict, kps: dict, model=None, *, feature: int | None = None,
                  timing: list[float] | None = None) -> dict[str, dict[str, float]]:
    by_group = group_kps(kps)
    enc_cache: dict = {}
    preds: dict[str, dict[str, float]] = {}
    for aid, (text, topic, stance) in args.items():
        kids = by_group.get((topic, stance), [])
        if not kids:
            continue
        key = (topic, stance)
        if key not in enc_cache:  # the key points and topic: fixed per topic, like a loaded pack
            enc_cache[key] = (fz.encode([kps[k][0] for k in kids]), fz.encode([topic]))
        kenc, tenc = enc_cache[key]
        t0 = time.perf_counter()
        X = fz.features(text, topic, [kps[k][0] for k in kids], kenc, tenc)
        s = X[:, feature] if feature is not None else model.predict(expand(X))
        preds[aid] = {k: float(v) for k, v in zip(kids, s, strict=True)}
        if timing is not None:
            timing.append((time.perf_counter() - t0) * 1000)
    return preds


def train_model(fz: Featurizer, args: dict, kps: dict, labels: dict, l2: float = 30.0,
                oof: dict | None = None) -> Logistic:
    """Fit on the training split. With an encoder, `oof` holds its out-of-fold cosines for the
    training pairs ({arg_id: {kp_id: cos}}, from models trained on the other half of the training
    topics), so the regression does not learn to trust a score it was trained on."""
    by_group = group_kps(kps)
    X, y = [], []
    enc_cache: dict = {}
    for aid, (text, topic, stance) in args.items():
        kids = by_group.get((topic, stance), [])
        if not any((aid, k) in labels for k in kids):
            continue
        # an undecided (unlabeled) pair is trained as a non-match, as the strict score counts it
        lab = [(i, labels.get((aid, k), 0)) for i, k in enumerate(kids)]
        key = (topic, stance)
        if key not in enc_cache:
            enc_cache[key] = (fz.encode([kps[k][0] for k in kids]), fz.encode([topic]))
        kenc, tenc = enc_cache[key]
        ft = None
        if fz.encoder is not None:
            if oof is None or aid not in oof:
                continue
            ft = np.array([oof[aid][k] for k in kids], dtype=np.float32)
        F = fz.features(text, topic, [kps[k][0] for k in kids], kenc, tenc, ft_cos=ft)
        for i, lbl in lab:
            X.append(F[i])
            y.append(lbl)
    X = expand(np.array(X))
    return Logistic(l2=l2).fit(X, np.array(y, dtype=float))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "argkp")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--train", default="train", help="split to fit on (never the scored split)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--ablation", action="store_true", help="also score single features without training")
    ap.add_argument("--encoder", type=Path, default=ft_encoder.MODEL_DIR,
                    help="fine-tuned sentence encoder (int8 ONNX) used as one more feature")
    ap.add_argument("--no-encoder", action="store_true", help="static features only (the earlier model)")
    ap.add_argument("--oof", type=Path, default=OOF_PATH,
                    help="out-of-fold encoder cosines for the training pairs (train_argkp_model.py)")
    args = ap.parse_args()
    if args.train == args.split:
        sys.exit("--train and --split must differ: statistics may come only from the training split")

    t0 = time.perf_counter()
    tr_args, tr_kps, tr_labels = read_split(args.data, args.train)
    ev_args, ev_kps, ev_labels = read_split(args.data, args.split)
    enc = None
    oof = None
    if not args.no_encoder:
        if not ft_encoder.available(args.encoder):
            sys.exit(f"no encoder at {args.encoder} (or onnxruntime missing): use --no-encoder")
        enc = ft_encoder.get_encoder(args.encoder)
        oof = json.loads(args.oof.read_text(encoding="utf-8"))
    fz = Featurizer([a[0] for a in tr_args.values()] + [k[0] for k in tr_kps.values()], encoder=enc)
    model = train_model(fz, tr_args, tr_kps, tr_labels, oof=oof)
    fit_s = time.perf_counter() - t0

    rows = []
    if args.ablation:
        names = FEATURE_NAMES + (["cos_finetuned"] if enc is not None else [])
        for i, name in enumerate(names):
            p = predict_split(fz, ev_args, ev_kps, feature=i)
            rows.append((f"{name} alone (no regression)", evaluate(p, ev_args, ev_labels)))
    timing: list[float] = []
    preds = predict_split(fz, ev_args, ev_kps, model, timing=timing)
    rows.append(("logistic regression on features", evaluate(preds, ev_args, ev_labels)))

    print(f"ArgKP {args.split} ({len(ev_args)} arguments), fitted on {args.train} in {fit_s:.1f} s")
    print(f"{'method':<38} {'strict':>7} {'relaxed':>8} {'strict(final)':>14} {'relaxed(final)':>15}")
    for name, m in rows:
        print(f"{name:<38} {m['strict']:>7.3f} {m['relaxed']:>8.3f} {m['strict_final']:>14.3f} {m['relaxed_final']:>15.3f}")
    timing.sort()
    print(f"per argument: median {timing[len(timing) // 2]:.2f} ms, p99 {timing[int(0.99 * (len(timing) - 1))]:.2f} ms "
          "(one argument at a time, key points pre-encoded per topic)")
    if args.out:
        args.out.write_text(json.dumps(preds, indent=1), encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

