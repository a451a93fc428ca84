"""The installed command, run from outside the source tree (models must travel with the package)."""

import json
import os
import subprocess
import sys

from tests.conftest import SEEDS
from tests.test_pipeline import found


def run_cli(args, cwd):
    env = dict(os.environ, PYTHONPATH="")  # import the installed package, not the checkout
    return subprocess.run([sys.executable, "-m", "checker", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def test_contradictions_json_on_seeds(tmp_path, gold):
    p = run_cli(["contradictions", str(SEEDS), "--reference", str(SEEDS / "reference.txt"), "--format", "json"], tmp_path)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)  # stdout is pure JSON; progress went to stderr
    assert "NLI" in p.stderr
    for g in gold["must_flag"]:
        assert found(data["contradictions"], g), g["id"]
    f = data["contradictions"][0]
    assert set(f) >= {"score", "a", "b"}
    assert set(f["a"]) >= {"article", "role", "claim", "sentence", "start", "end"}
    assert {c["id"] for c in data["clusters"]}


def test_bad_inputs_exit_code_and_messages(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text("The minister met the envoy in Beijing on Monday to discuss trade.\n")
    (d / "other.md").write_text("The minister met the envoy in Shanghai on Monday to discuss trade.\n")
    (d / "empty.txt").write_text("")
    (d / "binary.txt").write_bytes(bytes(range(256)))
    (d / "latin1.txt").write_bytes("Caf\xe9 news.".encode("latin-1"))
    (d / "feed.jsonl").write_text('{"text": "The envoy left Beijing on Tuesday."}\n{broken\n')
    p = run_cli(["report", str(d), "--format", "json", "-q"], tmp_path)
    assert p.returncode == 1, p.stderr
    for name in ("empty.txt", "binary.txt", "latin1.txt", "feed.jsonl:2"):
        assert name in p.stderr
    data = json.loads(p.stdout)
    assert sorted(a["article"] for a in data["articles"]) == ["feed.jsonl#line1", "good.txt", "other.md"]


def test_no_usable_input(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    p = run_cli(["report", str(tmp_path / "empty.txt"), "-q"], tmp_path)
    assert p.returncode == 2
    assert "E002" in p.stderr and "empty.txt" in p.stderr


def test_verify_json(tmp_path):
    src = tmp_path / "source.txt"
    raw = ("Home | World | Politics | Sport\nShare this article\n\n"  # boilerplate: cleaned offsets != file offsets
           "The International Criminal Court issued an arrest warrant for Vladimir Putin in March 2023. "
           "Russia does not recognise the court.\n")
    src.write_text(raw, encoding="utf-8")
    r = run_cli(["verify", str(src), "The International Criminal Court issued a warrant for Putin. "
                 "Russia recognises the court.", "--format", "json"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert 0.0 <= out["consistency"] <= 1.0 and len(out["claims"]) == 2
    first, second = out["claims"]
    assert first["verdict"] == "supported"
    ev = first["best_support"]
    assert ev["file"] == "source.txt" and raw[ev["start"]:ev["end"]] == ev["text"]  # offsets in the original file
    assert second["verdict"] == "contradicted"
    ev = second["best_contradiction"]
    assert raw[ev["start"]:ev["end"]] == ev["text"] and "does not recognise" in ev["text"]
    assert any(s["name"] == "negation_mismatch" for s in second["signals"])
    text = "The International Criminal Court issued a warrant for Putin. Russia recognises the court."
    assert text[second["start"]:second["end"]] == second["sentence"] and second["file"] == "<text>"
