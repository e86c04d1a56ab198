"""The fine-tuned ArgKP sentence encoder (int8 ONNX) and its use as a matcher feature."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bot.engine import encoder

pytestmark = pytest.mark.skipif(not encoder.available(), reason="encoder model or onnxruntime missing")


@pytest.fixture(scope="module")
def enc():
    return encoder.get_encoder()


def test_vectors_are_normalised_and_cached(enc):
    v = enc.encode(["School uniform reduces bullying", "Guns make people safer"])
    assert v.shape == (2, enc.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert enc.encode([]).shape == (0, enc.dim)
    assert encoder.get_encoder() is enc
    # a text's vector does not depend on the texts encoded with it
    assert np.allclose(enc.encode("Guns make people safer")[0], v[1])


@pytest.mark.parametrize(("arg", "best"), [
    ("kids in uniform are not teased about what they wear", 0),  # shares no content word with it
    ("students should be able to choose what they wear to show who they are", 2),
])
def test_paraphrase_beats_other_key_points(enc, arg, best):
    kps = ["School uniform reduces bullying", "School uniforms are expensive for families",
           "Uniforms restrict students' freedom of expression"]
    sims = enc.encode(kps) @ enc.encode(arg)[0]
    assert int(np.argmax(sims)) == best


def test_argkp_features_include_the_encoder(enc):
    spec = importlib.util.spec_from_file_location(
        "argkp", Path(__file__).resolve().parents[2] / "benchmarks" / "argkp.py")
    argkp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(argkp)
    texts = ["uniforms stop bullying", "school uniform reduces bullying", "uniforms are expensive"]
    fz = argkp.Featurizer(texts, encoder=enc)
    kps = ["School uniform reduces bullying", "School uniforms are expensive for families"]
    X = fz.features("uniforms stop kids from being bullied", "We should abandon the use of school uniform", kps)
    assert X.shape == (2, 3 * 10 + 3)  # 10 base features (9 static + encoder), rel, dev, 3 more
    assert argkp.expand(X).shape[1] == X.shape[1] + 10 * 11 // 2
    # an out-of-fold cosine (as used when fitting on the training split) replaces the encoder's
    X2 = fz.features("uniforms stop kids from being bullied", "We should abandon the use of school uniform", kps,
                     ft_cos=np.array([0.25, -0.5], dtype=np.float32))
    assert X2[:, 9].tolist() == [0.25, -0.5]
    assert np.allclose(X2[:, :9], X[:, :9], atol=1e-5)


def test_bot_matcher_blends_the_same_encoder(enc, engine):
    # the bot's claim index uses the benchmark's encoder: same vectors, same cosine, blended in
    from bot.engine import index

    idx = engine.claim_index
    assert index.ENCODER_WEIGHT > 0 and idx.encoder_weight == index.ENCODER_WEIGHT and idx.ft_vecs is not None
    arg = "Human rights must be part of any deal with North Korea."
    ft = idx.ft_scores(arg)
    assert np.allclose(ft, enc.encode(idx.texts) @ enc.encode(arg)[0], atol=1e-5)
    dense, lex = idx.text_scores(arg)
    w = index.ENCODER_WEIGHT
    assert np.allclose(idx.combine(dense, lex, ft), (1 - w) * idx.combine(dense, lex) + w * ft)


def test_index_vectors_are_cached_on_disk(enc, tmp_path, monkeypatch):
    from bot.engine import matcher

    monkeypatch.setenv("DEBATE_BOT_CACHE", str(tmp_path))
    texts = ["Kim cannot be trusted.", "Talks are the only way forward."]
    v = matcher.encode_texts(texts)
    assert np.allclose(v, enc.encode(texts), atol=1e-6)
    files = list((tmp_path / "encoder").glob("*.npy"))
    assert len(files) == 1
    np.save(files[0], np.ones_like(v))  # proves the second call reads the file, not the model
    assert np.allclose(matcher.encode_texts(texts), 1.0)
    assert not np.allclose(matcher.encode_texts(texts[:1]), 1.0)  # other texts, other key
