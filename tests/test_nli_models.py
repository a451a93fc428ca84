"""Bring your own NLI model (issue 11): --nli-model / Config.nli_model with local folders,
label order read from config.json, two-way models, per-model calibration, hub ids refused
without permission (and never downloaded in these tests: no network is touched)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from checker.cli import app
from checker.config import CALIBRATION_FILE, Config
from checker.errors import CheckerError
from checker.nli_models import (CALIBRATION_NAME, NLIModelWarning, calibration_dir, default_calibration_path,
                                fingerprint, label_map, resolve)
from tests.conftest import ROOT
from tests.tiny_nli import SHIPPED, make_tiny_nli

runner = CliRunner()
A = "The council approved the new bridge over the Elm River on Friday, officials said.\n"
B = "The council rejected the new bridge over the Elm River on Friday, officials said.\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Tiny random models that always answer one label, with different label orders."""
    root = tmp_path_factory.mktemp("tiny_nli")
    return {
        # contradiction first (the cross-encoder/nli-* order): says contradiction
        "contra": make_tiny_nli(root / "contra", {0: "contradiction", 1: "entailment", 2: "neutral"}, "contradiction"),
        # the same head bias on output 1, named ENTAILMENT (mixed case): says entailment
        "entail": make_tiny_nli(root / "entail", {0: "Neutral", 1: "ENTAILMENT", 2: "contradiction"}, "ENTAILMENT"),
        # two-way, not-entailment first: says entailment
        "two_way": make_tiny_nli(root / "two_way", {0: "not_entailment", 1: "entailment"}, "entailment"),
        "unnamed": make_tiny_nli(root / "unnamed", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}),
    }


@pytest.fixture()
def articles(tmp_path):
    d = tmp_path / "articles"
    d.mkdir()
    (d / "a.txt").write_text(A)
    (d / "b.txt").write_text(B)
    return d


@pytest.fixture()
def no_network(monkeypatch, tmp_path):
    """An empty Hugging Face cache, and any attempt to open a connection or download fails the test."""
    import checker.nli_models as nm

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("CHECKER_ALLOW_DOWNLOAD", raising=False)

    def refuse(*a, **k):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(nm, "_download", refuse)


# ---------------------------------------------------------------- label order


@pytest.mark.parametrize("id2label, kind, index", [
    ({"0": "entailment", "1": "neutral", "2": "contradiction"}, "3-way", (0, 1, 2)),
    ({"0": "CONTRADICTION", "1": "NEUTRAL", "2": "ENTAILMENT"}, "3-way", (2, 1, 0)),  # roberta-large-mnli
    ({"0": "contradiction", "1": "entailment", "2": "neutral"}, "3-way", (1, 2, 0)),  # cross-encoder/nli-*
    ({"0": "Entailment", "1": "not entailment"}, "2-way", (0, 1)),
    ({"0": "NOT_ENTAILMENT", "1": "entailment"}, "2-way", (1, 0)),
    ({"0": "non-entailment", "1": "entailed"}, "2-way", (1, 0)),
])
def test_label_map_reads_names_in_any_order_and_case(id2label, kind, index):
    m = label_map({"id2label": id2label})
    assert (m.kind, m.index) == (kind, index)


@pytest.mark.parametrize("cfg", [
    {"id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"}},
    {"id2label": {"0": "0", "1": "1", "2": "2"}},
    {"id2label": {"0": "entailment", "1": "entailment", "2": "contradiction"}},
    {"id2label": {"0": "entailment", "1": "neutral", "2": "LABEL_2"}},  # never guessed by elimination
    {"id2label": {"0": "entailment", "1": "neutral"}},
    {"id2label": {"0": "positive", "1": "negative", "2": "neutral"}},
    {"id2label": {"0": "a", "1": "b", "2": "c", "3": "d"}},
    {},
])
def test_label_map_refuses_what_it_cannot_read(cfg):
    with pytest.raises(CheckerError) as e:
        label_map(cfg, "m")
    assert e.value.code == "E017"


def test_label_map_uses_label2id_only_when_it_names_every_label():
    cfg = {"id2label": {"0": "LABEL_0", "1": "LABEL_1", "2": "LABEL_2"},
           "label2id": {"neutral": 0, "contradiction": 1, "entailment": 2}}
    assert label_map(cfg).index == (2, 0, 1)


def test_two_way_mass_is_split_between_neutral_and_contradiction():
    m = label_map({"id2label": {"0": "not_entailment", "1": "entailment"}})
    out = m.to_canonical(np.array([[0.8, 0.2], [0.1, 0.9]]))
    assert np.allclose(out, [[0.2, 0.4, 0.4], [0.9, 0.05, 0.05]])


def test_tiny_model_label_order_comes_from_its_config(tiny):
    from checker.nli import NLIModel

    pairs = [("A man is eating pizza.", "A man eats something."), ("It rains.", "The sun is out.")]
    contra = NLIModel(tiny["contra"]).predict(pairs)
    assert (contra.argmax(1) == 2).all() and contra[:, 2].min() > 0.9  # output 0 is "contradiction"
    entail = NLIModel(tiny["entail"]).predict(pairs)
    assert (entail.argmax(1) == 0).all() and entail[:, 0].min() > 0.9  # output 1 is "ENTAILMENT"
    two = NLIModel(tiny["two_way"]).predict(pairs)
    assert two[:, 0].min() > 0.9 and np.allclose(two[:, 1], two[:, 2]) and np.allclose(two.sum(1), 1, atol=1e-5)


# ---------------------------------------------------------------- CLI and Python API, end to end


def test_contradictions_cli_with_a_local_model(tiny, articles):
    r = runner.invoke(app, ["contradictions", str(articles), "--nli-model", str(tiny["contra"]), "-f", "json", "-q"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["contradictions"], r.output
    top = data["contradictions"][0]
    assert top["nli"]["a_to_b"]["contradiction"] > 0.9 and top["score"] > 0.9  # raw probabilities, no calibration
    assert data["thresholds"] == {"contradiction": 0.5, "corroboration": 0.5}
    assert [p["code"] for p in data["problems"]] == ["W109"]
    assert "warning [W109]" in r.stderr and "checker calibrate --nli-model" in r.stderr
    # the same weights with entailment on that output: the pair is no contradiction any more
    r = runner.invoke(app, ["report", str(articles), "--nli-model", str(tiny["entail"]), "-f", "json", "-q"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert not data["contradictions"] and data["corroborations"]


def test_verify_cli_with_local_models(tiny, tmp_path):
    (tmp_path / "src.txt").write_text(A)
    (tmp_path / "txt.txt").write_text(B)
    r = runner.invoke(app, ["verify", str(tmp_path / "src.txt"), str(tmp_path / "txt.txt"), "-f", "json",
                            "--nli-model", str(tiny["contra"])])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {c["verdict"] for c in data["claims"]} == {"contradicted"}
    assert data["threshold"] is None and data["consistent"] is None  # no document calibration: no verdict
    assert r.stderr.count("warning [W109]") == 1
    r = runner.invoke(app, ["verify", str(tmp_path / "src.txt"), str(tmp_path / "txt.txt"), "-f", "json",
                            "--nli-model", str(tiny["two_way"])])
    assert r.exit_code == 0, r.output
    assert {c["verdict"] for c in json.loads(r.stdout)["claims"]} == {"supported"}


def test_python_api_with_config(tiny, articles):
    import checker
    from checker.verify import Verifier

    cfg = Config.default(nli_model=str(tiny["contra"]), progress=False)
    assert cfg.calibration_model is None and cfg.combiner == {} and cfg.calibration_file is None
    assert cfg.story_max_distance == Config.default().story_max_distance  # story grouping: shared, shipped
    res = checker.run([articles], config=cfg)
    assert res.contradictions() and [p.code for p in res.problems] == ["W109"]
    with pytest.warns(NLIModelWarning, match="W109"):
        v = Verifier(cfg)
    assert v.check(A, B)[0].verdict == "contradicted"
    # a calibration of other weights carried over by hand is named, not silently used
    res = checker.run([articles], config=replace(Config.default(progress=False), nli_model=str(tiny["contra"])))
    assert [p.code for p in res.problems] == ["W110"]


def test_env_var_still_selects_the_model(tiny, monkeypatch):
    from checker.nli import load_nli

    monkeypatch.setenv("CHECKER_NLI_MODEL", str(tiny["entail"]))
    assert Config.default().calibration_model is None
    assert load_nli().path == tiny["entail"]


def test_unnamed_labels_are_refused_before_any_work(tiny, articles):
    t = time.perf_counter()
    r = runner.invoke(app, ["contradictions", str(articles), "--nli-model", str(tiny["unnamed"])])
    assert r.exit_code == 2 and "E017" in r.output and "id2label" in r.output
    assert "loading spaCy" not in r.output and time.perf_counter() - t < 10
    r = runner.invoke(app, ["verify", str(articles / "a.txt"), "--text", "x", "--nli-model", str(tiny["unnamed"])])
    assert r.exit_code == 2 and "E017" in r.output and "loading models" not in r.output
    for bad in (articles / "a.txt", articles / "missing-folder", articles):  # a file, nothing, no config.json
        r = runner.invoke(app, ["report", str(articles), "--nli-model", str(bad)])
        assert r.exit_code == 2 and "E016" in r.output


# ---------------------------------------------------------------- hub ids: offline by default


def test_hub_id_is_refused_without_permission_and_nothing_is_downloaded(no_network, articles, tmp_path):
    for cmd in (["contradictions", str(articles)], ["report", str(articles)],
                ["verify", str(articles / "a.txt"), "--text", "The council met."],
                ["calibrate", "--data", str(tmp_path)]):
        t = time.perf_counter()
        r = runner.invoke(app, cmd + ["--nli-model", "cross-encoder/nli-deberta-v3-xsmall"])
        assert r.exit_code == 2, r.output
        assert "E016" in r.output and "--allow-download" in r.output and "CHECKER_ALLOW_DOWNLOAD=1" in r.output
        assert "loading" not in r.output and time.perf_counter() - t < 10  # refused at once, no model loaded
    with pytest.raises(CheckerError) as e:
        Config.default(nli_model="cross-encoder/nli-deberta-v3-xsmall")
    assert e.value.code == "E016"


def _fake_cache(home, repo_id, model_dir):
    """A Hugging Face hub cache holding ``model_dir`` as ``repo_id`` (the layout the hub client writes)."""
    repo = home / "hub" / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / ("0" * 40)
    shutil.copytree(model_dir, snap)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    return snap


def test_hub_id_in_the_local_cache_runs_offline(no_network, tiny, tmp_path):
    snap = _fake_cache(tmp_path / "hf_home", "someorg/tiny-nli", tiny["contra"])
    ref = resolve("someorg/tiny-nli")
    assert ref.path == snap and ref.hub_id == "someorg/tiny-nli" and not ref.shipped
    # a calibration is never written into the hub cache: it goes to the calibration folder, by content hash
    assert default_calibration_path(ref) == calibration_dir() / f"{fingerprint(snap)}.json"
    assert Config.default(nli_model="someorg/tiny-nli").calibration_model is None


def test_allowed_download_goes_through_the_hub_client_with_offline_mode_lifted(monkeypatch, tiny, tmp_path):
    import huggingface_hub
    from huggingface_hub import constants

    import checker.nli_models as nm

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    calls = []

    def fake_snapshot_download(repo_id, **kw):  # stands in for the network
        calls.append((repo_id, constants.HF_HUB_OFFLINE, kw.get("allow_patterns")))
        return str(tiny["contra"])

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    with pytest.raises(CheckerError):
        resolve("someorg/other-nli")
    assert not calls
    monkeypatch.setenv("CHECKER_ALLOW_DOWNLOAD", "1")
    assert resolve("someorg/other-nli").path == tiny["contra"]
    assert calls == [("someorg/other-nli", False, ["*.json", "*.txt", "*.model", "*.safetensors"])]
    assert constants.HF_HUB_OFFLINE is True  # restored
    assert nm.allow_download_env()


# ---------------------------------------------------------------- per-model calibration


def test_calibrate_writes_the_models_own_calibration(tiny, tmp_path, monkeypatch):
    from tests.mini_nli_data import write_mini_nli_data

    model = tmp_path / "model"
    shutil.copytree(tiny["contra"], model)
    monkeypatch.setenv("CHECKER_CALIBRATION_DIR", str(tmp_path / "cals"))
    shipped_before = CALIBRATION_FILE.read_bytes()
    data = write_mini_nli_data(tmp_path / "nli")
    r = runner.invoke(app, ["calibrate", "--stories", "--nli-model", str(model), "--eval-dir", str(tmp_path)])
    assert r.exit_code == 2 and "story grouping" in r.output
    r = runner.invoke(app, ["calibrate", "--nli-model", str(model), "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert CALIBRATION_FILE.read_bytes() == shipped_before  # the shipped calibration is never touched
    cal = json.loads((model / CALIBRATION_NAME).read_text())
    sha = fingerprint(model)
    assert cal["model"]["sha256"] == sha and cal["model"]["labels"]["id2label"]["0"] == "contradiction"
    assert "document" not in cal and "stories" not in cal  # nothing of the shipped model's calibration
    cfg = Config.default(nli_model=str(model))
    assert cfg.calibration_model == sha and cfg.combiner and cfg.support and cfg.thresholds == cal["thresholds"]
    from checker.nli_models import calibration_problems

    probs = calibration_problems(cfg, resolve(str(model)), ("claims", "document"))
    assert [(p.code, "document" in p.message) for p in probs] == [("W109", True)]  # only --document is missing
    # the same weights elsewhere find it by content hash in the calibration folder
    other = tmp_path / "other"
    shutil.copytree(tiny["contra"], other)
    assert Config.default(nli_model=str(other)).calibration_model is None
    (tmp_path / "cals").mkdir()
    shutil.copy(model / CALIBRATION_NAME, tmp_path / "cals" / f"{sha}.json")
    assert Config.default(nli_model=str(other)).calibration_model == sha
    # a calibration next to a model whose weights changed is ignored, and the warning says why
    stale = tmp_path / "stale"
    shutil.copytree(tiny["entail"], stale)
    shutil.copy(model / CALIBRATION_NAME, stale / CALIBRATION_NAME)
    cfg = Config.default(nli_model=str(stale))
    assert cfg.calibration_model is None
    (p,) = calibration_problems(cfg, resolve(str(stale)))
    assert p.code == "W109" and "W110" in p.message and "other weights" in p.message


# ---------------------------------------------------------------- the shipped model


def test_shipped_model_named_explicitly_is_the_default(tmp_path):
    assert resolve(str(SHIPPED)).shipped and resolve(None).shipped
    a, b = Config.default(), Config.default(nli_model=str(SHIPPED))
    assert replace(b, nli_model=None, calibration_file=a.calibration_file) == a
    # a copy of the shipped weights (linked, not copied) is recognised by content hash
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in SHIPPED.iterdir():
        os.symlink(f, copy / f.name)
    assert not resolve(str(copy)).shipped
    assert Config.default(nli_model=str(copy)).calibration_model == a.calibration_model


def test_verify_cli_shipped_model_explicit_equals_default(tmp_path, nlp, embedder):
    (tmp_path / "src.txt").write_text(A)
    args = ["verify", str(tmp_path / "src.txt"), "--text", B.strip(), "-f", "json"]
    r1 = runner.invoke(app, args)
    r2 = runner.invoke(app, args + ["--nli-model", str(ROOT / "models" / "nli-minilm-l6")])
    assert r1.exit_code == r2.exit_code == 0, r2.output
    assert r1.stdout == r2.stdout and "W109" not in r2.output and "W110" not in r2.output
    assert json.loads(r2.stdout)["threshold"] == Config.default().document["threshold"]
