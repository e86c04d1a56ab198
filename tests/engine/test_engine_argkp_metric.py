"""The ArgKP mAP on a tiny example computed by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("argkp", Path(__file__).resolve().parents[2] / "benchmarks" / "argkp.py")
argkp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(argkp)


def test_average_precision_by_hand():
    # ranked labels 1,0,1: AP = (1/1 + 2/3) / 2
    assert argkp.average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx((1 + 2 / 3) / 2)
    assert argkp.average_precision([0, 0], [0.5, 0.4]) == 0.0
    # a tie between a hit and a miss counts as one threshold: precision 1/2 at recall 1
    assert argkp.average_precision([1, 0], [0.5, 0.5]) == pytest.approx(0.5)


def test_map_by_hand():
    args = {
        # topic T, stance 1: four arguments -> keep the top 2 pairs
        "a1": ("", "T", 1), "a2": ("", "T", 1), "a3": ("", "T", 1), "a4": ("", "T", 1),
        # topic T, stance -1: two arguments -> keep the top 1
        "b1": ("", "T", -1), "b2": ("", "T", -1),
    }
    preds = {
        "a1": {"k1": 0.9, "k2": 0.1},  # best k1, label 0
        "a2": {"k1": 0.2, "k2": 0.8},  # best k2, label 1
        "a3": {"k1": 0.7, "k2": 0.3},  # best k1, unlabeled (cut: not in the top half)
        "a4": {"k1": 0.1, "k2": 0.05},  # cut
        "b1": {"k3": 0.6},  # best k3, unlabeled -> strict 0, relaxed 1
        "b2": {"k3": 0.4},  # cut
    }
    labels = {("a1", "k1"): 0, ("a2", "k2"): 1, ("a3", "k1"): 1, ("a4", "k1"): 1}
    m = argkp.evaluate(preds, args, labels)
    # group (T, 1): kept a1 (0.9, label 0), a2 (0.8, label 1): AP = 1/2; share of matches 1/2
    # group (T,-1): kept b1 (0.6, missing): strict AP 0, relaxed AP 1; share 0 and 1
    assert m["strict"] == pytest.approx((0.5 + 0.0) / 2)
    assert m["relaxed"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["strict_final"] == pytest.approx((0.5 * 0.5 + 0.0) / 2)
    assert m["relaxed_final"] == pytest.approx((0.5 * 0.5 + 1.0 * 1.0) / 2)
