"""Model precision (issue 12, part 3): Config.precision / $CHECKER_PRECISION, bf16 autocast where
the CPU has native bf16, and batch independence in bf16 (one token length per batch)."""

from __future__ import annotations

import numpy as np
import pytest

from checker import config as C
from checker.config import Config, apply_precision, cpu_has_bf16, current_precision, resolve_precision
from checker.embed import embed
from checker.nli import same_length_batches

SENTENCES = [
    "The International Criminal Court issued an arrest warrant for Vladimir Putin in March 2023.",
    "China says it does not send weapons to Russia.",
    "The aircraft manufacturer faces further questions over the safety of its planes.",
    "Dorn retired from the police force after 38 years.",
    "A 77 year old retired St. Louis police officer served 38 years on the force.",
    "The company reported a loss of $3 million in the second quarter, its first since 2019.",
    "Officials said the bridge would reopen on Monday.",
    "Scroll down for video.",
    "He was taken to hospital.",
    "The minister told reporters that talks would resume next week in Geneva after a pause.",
]
PAIRS = [(a, b) for a in SENTENCES[:5] for b in SENTENCES[3:9]]


@pytest.fixture
def restore_precision():
    before = list(C._precision)
    yield
    C._precision[:] = before


def test_precision_is_resolved_from_config_then_environment(monkeypatch, restore_precision):
    monkeypatch.setenv("CHECKER_PRECISION", "fp32")
    assert resolve_precision() == "fp32"
    assert resolve_precision("bf16") == "bf16"  # the configuration wins over the environment
    monkeypatch.delenv("CHECKER_PRECISION")
    assert resolve_precision("auto") == ("bf16" if cpu_has_bf16() else "fp32")
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp8")
    assert apply_precision(Config(precision="fp32")) == "fp32" and current_precision() == "fp32"


def test_same_length_batches_group_equal_lengths_shortest_first():
    assert same_length_batches([5, 3, 5, 3, 7, 5], 2) == [[1, 3], [0, 2], [5], [4]]


def test_fp32_and_bf16_agree(nli, embedder, restore_precision):
    if not cpu_has_bf16():
        pytest.skip("no native bf16 on this CPU")
    apply_precision(Config(precision="fp32"))
    p32, v32 = nli.predict(PAIRS), embed(SENTENCES, embedder)
    apply_precision(Config(precision="bf16"))
    p16, v16 = nli.predict(PAIRS), embed(SENTENCES, embedder)
    assert (p32.argmax(1) == p16.argmax(1)).mean() >= 0.95
    assert np.abs(p32 - p16).max() < 0.05
    assert (v32 * v16).sum(1).min() > 0.999


def test_bf16_results_do_not_depend_on_the_rest_of_the_call(nli, embedder, restore_precision):
    """In bf16 a padded batch changes its rows; batches of one token length make every pair's
    probabilities and every text's vector the same in any company (bitwise)."""
    if not cpu_has_bf16():
        pytest.skip("no native bf16 on this CPU")
    apply_precision(Config(precision="bf16"))
    nli._cache.clear()  # computed afresh, not read from the cache of earlier calls
    full = nli.predict(PAIRS, batch_size=8)
    for part in (PAIRS[:7], PAIRS[11:], PAIRS[::3]):
        idx = [PAIRS.index(p) for p in part]
        nli._cache.clear()
        assert np.array_equal(nli.predict(part, batch_size=8), full[idx])
    assert np.array_equal(nli.predict_parallel(PAIRS, batch_size=8, workers=2), full)
    vecs = embed(SENTENCES, embedder, batch_size=4)
    assert np.array_equal(embed(SENTENCES[3:], embedder, batch_size=4), vecs[3:])
    assert np.array_equal(embed(SENTENCES[::-1], embedder, batch_size=64), vecs[::-1])
    # a repeated text is encoded once and gets the same vector
    twice = embed(SENTENCES[:2] + SENTENCES[:2], embedder)
    assert np.array_equal(twice[:2], twice[2:])


def test_nli_computes_each_distinct_pair_once(nli, restore_precision, monkeypatch):
    """Repeated pairs (near-copies of one article) are computed once and get the same
    probabilities; in bf16 a later call takes them from the cache; fp32 keeps no cache."""
    calls = []
    forward = nli._forward
    monkeypatch.setattr(nli, "_forward", lambda enc: calls.append(len(enc["input_ids"])) or forward(enc))
    pairs = PAIRS[:6] * 3
    for precision in ("fp32", "bf16") if cpu_has_bf16() else ("fp32",):
        apply_precision(Config(precision=precision))
        nli._cache.clear()
        calls.clear()
        done = []
        p = nli.predict(pairs, batch_size=4, progress=done.append)
        assert sum(calls) == 6 and sum(done) == len(pairs)
        assert np.array_equal(p[:6], p[6:12]) and np.array_equal(p[:6], p[12:])
        calls.clear()
        again = nli.predict(PAIRS[:8], batch_size=4)
        assert sum(calls) == (2 if precision == "bf16" else 8)
        assert np.array_equal(again[:6], p[:6]) if precision == "bf16" else np.allclose(again[:6], p[:6], atol=1e-5)
        assert len(nli._cache) == (8 if precision == "bf16" else 0)
