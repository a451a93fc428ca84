"""Issue 10b: the report bytes do not depend on the order the inputs are given in.

The same articles, given as one folder, as files in reversed order (with a symbolic link to one
of them and repeats), and as a folder plus some of its files, through the real models: every
output format of both report kinds is byte-identical, and so are the files the CLI writes.
"""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

import checker
from checker import report
from checker.cli import app

ARTICLES = {
    "a/report.txt": "Trade talks in Beijing\n\n"
                    "The minister met the envoy in Beijing on Monday to discuss trade and grain prices, officials said.\n"
                    "Ten officials attended the talks, the ministry said in a statement released in the evening.\n"
                    "The two sides agreed to meet again in March to sign a new agreement on grain exports.\n",
    # the same file name in another folder: the two are told apart by their path
    "b/report.txt": "Trade talks in Shanghai\n\n"
                    "The minister met the envoy in Shanghai on Monday to discuss trade and grain prices, officials said.\n"
                    "Twelve officials attended the talks, the ministry said in a statement released in the evening.\n"
                    "The two sides agreed to meet again in March to sign a new agreement on grain exports.\n",
    "wire.md": "# Trade talks end\n\nThe **minister** met the [envoy](http://example.org/envoy) in Beijing on Tuesday "
               "to discuss trade and grain prices, officials said.\n\n"
               "Ten officials attended the talks, the ministry said in a statement released in the evening.\n",
    "page.html": "<html><head><title>Grain talks</title></head><body><nav><a href=\"/\">Home</a></nav><article>"
                 "<h1>Grain talks</h1>\n<p>The minister met the envoy in Beijing on Monday to discuss trade and grain "
                 "prices, officials said.</p>\n<p>The two sides agreed to meet again in April to sign a new agreement "
                 "on grain exports.</p></article></body></html>\n",
    "feed.jsonl": json.dumps({"id": "r1", "text": "The minister met the envoy in Beijing on Monday to discuss trade "
                              "and grain prices, officials said. Ten officials attended the talks."}) + "\n"
                  + json.dumps({"id": "r2", "title": "Talks", "text": "The envoy left Beijing on Wednesday after the "
                                "talks on grain prices, officials said."}) + "\n",
    "reference.txt": "The minister met the envoy in Beijing on Monday.\n",
}
KINDS = ("report", "contradictions")
FORMATS = ("json", "markdown", "text", "html")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("order") / "in"
    for name, text in ARTICLES.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text, encoding="utf-8")
    os.symlink("a/report.txt", d / "alias.txt")  # read once, under its real name
    files = [d / n for n in sorted(ARTICLES) if n != "reference.txt"]
    orders = {
        "folder": [d],
        "files reversed, a link and repeats": [d / "alias.txt", *reversed(files), files[0]],
        "folder plus files": [d / "wire.md", d / "b" / "report.txt", d, d / "a" / "report.txt"],
    }
    return d, orders


@pytest.fixture(scope="module")
def outputs(inputs, nlp, embedder, nli):
    d, orders = inputs
    out = {}
    for label, paths in orders.items():
        res = checker.run(paths, reference=d / "reference.txt", config=checker.Config.default(progress=False))
        out[label] = {(k, f): report.render(res, k, f).encode("utf-8") for k in KINDS for f in FORMATS}
    return out


def test_run_outputs_do_not_depend_on_input_order(inputs, outputs):
    first, *rest = outputs
    data = json.loads(outputs[first][("report", "json")])
    names = sorted(a["article"] for a in data["articles"])
    assert len(names) == 6 and "report.txt" in names and any(n.endswith("b/report.txt") for n in names)
    assert data["contradictions"], "the inputs should give at least one finding to order"
    for label in rest:
        for key, blob in outputs[first].items():
            assert outputs[label][key] == blob, (label, key)


@pytest.mark.parametrize("kind,fmt", [("report", "json"), ("contradictions", "markdown")])
def test_cli_files_do_not_depend_on_input_order(inputs, outputs, tmp_path, kind, fmt):
    d, orders = inputs
    paths = orders["folder plus files"] if fmt == "json" else orders["files reversed, a link and repeats"]
    out = tmp_path / f"out.{fmt}"
    r = CliRunner().invoke(app, [kind, *map(str, paths), "-r", str(d / "reference.txt"), "--format", fmt,
                                 "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == outputs["folder"][(kind, fmt)]
