"""A small subset of the benchmark harness, so it cannot rot (full run: benchmarks/eval_harness.py)."""

import pytest

from checker.evaluate import SETS, Harness, split_f1, summeval_split, table
from tests.conftest import SHARED

EVAL = SHARED / "data" / "eval"


def test_split_f1_metric():
    assert split_f1([{"a", "b", "c", "d", "e"}], [{"a", "b", "c", "d", "e"}, {"x"}]) == (1, 1, 2)
    assert split_f1([{"a", "b"}], [{"a", "b", "c"}]) == (0, 1, 1)  # Jaccard 0.67 < 0.8


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/data/eval not present")
def test_harness_subset(nlp, embedder):
    h = Harness(EVAL, limit=4, say=lambda m: None)
    res = h.run(list(SETS))
    assert set(res) == set(SETS)
    for name, r in res.items():
        assert r["n"] > 0 and r["examples_per_s"] > 0 and r["seconds"] > 0, name
        assert r["anchor"], name
    for name in ("summeval", "qags_summary", "qags_sentence", "wice"):
        assert res[name]["threshold"] == h.t_doc  # the calibrated document threshold
    assert 0 <= res["anli_r1"]["accuracy_3way"] <= 1
    assert 0 <= res["propsegment"]["f1"] <= 1
    assert "| qags_sentence |" in table(res)


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/data/eval not present")
def test_summeval_halves_are_article_disjoint():
    dev, test = summeval_split(EVAL, "dev"), summeval_split(EVAL, "test")
    assert len(dev) + len(test) == len(summeval_split(EVAL, "all")) == 1600
    assert not {r["doc_id"] for r in dev} & {r["doc_id"] for r in test}


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/data/eval not present")
def test_eval_harness_script_takes_nli_model(tmp_path):
    """benchmarks/eval_harness.py --nli-model: a local model folder runs end to end, offline,
    with no calibration of its own (raw probabilities, W109); an unusable one stops with its code."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.tiny_nli import make_tiny_nli

    model = make_tiny_nli(tmp_path / "tiny", {0: "contradiction", 1: "entailment", 2: "neutral"}, "contradiction")
    env = dict(os.environ, PYTHONPATH=str(ROOT), CHECKER_CALIBRATION_DIR=str(tmp_path / "cal"))
    script = str(ROOT / "benchmarks" / "eval_harness.py")
    r = subprocess.run([sys.executable, script, "--eval-dir", str(EVAL), "--limit", "2", "--sets", "qags_summary",
                        "xsum_len", "--nli-model", str(model), "--json", str(tmp_path / "out.json")],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "W109" in r.stderr
    res = json.loads((tmp_path / "out.json").read_text())
    assert res["qags_summary"]["n"] == 2 and res["xsum_len"]["n"] == 2 and res["xsum_len"]["examples_per_s"] > 0
    bad = subprocess.run([sys.executable, script, "--eval-dir", str(EVAL), "--sets", "summeval", "--nli-model",
                          str(tmp_path / "missing")], capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode != 0 and "error [E0" in bad.stderr and "--nli-model" in bad.stderr
