"""Fuzzing every reader (Hypothesis): a few thousand generated inputs, about a minute.

For any bytes in a .txt/.md/.html/.jsonl file, ingest either returns documents whose every
character maps back into the file, or raises the project's coded :class:`CheckerError` —
never anything else. The hostile regression files of issue 10 run through the same checks.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from checker.errors import CheckerError  # noqa: E402
from checker.ingest import read_file  # noqa: E402
from tests.hostile_files import FILES  # noqa: E402

CODES = {f"E{n:03d}" for n in range(1, 16)}
FUZZ = settings(max_examples=int(os.environ.get("CHECKER_FUZZ_EXAMPLES", "800")), deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
TMP = Path(tempfile.mkdtemp(prefix="checker-fuzz-"))

# pieces that exercise each reader's rules (markup, separators, boilerplate, odd code points)
ATOMS = ["<a ", "<p>", "</p>", "<div>", "</div>", "<![b`", "<!--", "-->", "<svg x=1>", "<title />", "<h1>", "<script>",
         "</script>", "&amp;", "&#0;", "&#x110000;", "&bogus;", "**", "__", "*", "_", "`", "[", "]", "(", ")", "![",
         "# ", "> ", "---", "\n", "\n\n", "\r\n", "\u2028", "\u0085", "\x0c", "\x1b[2J", "\ufeff", "\u202e",
         "Most Read", "BREAKING", "Share this article", "By John Smith", "| Reuters", "- ", "• ",
         "The minister met the envoy in Beijing on Monday to discuss trade.", "Officials said the talks were useful.",
         "é", "中文", "😀", "\ud800", " ", "\t", "{", "}", '"', ":", ","]
text = st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=8)), max_size=40).map("".join)
json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text),
                          lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.sampled_from(
                              ["text", "body", "id", "title", "url"]), kids, max_size=3), max_leaves=6)


def _check(name: str, data: bytes, role: str = "article") -> None:
    p = TMP / name
    p.write_bytes(data)
    try:
        docs, problems = read_file(p, role)
    except CheckerError as exc:
        assert exc.code in CODES and exc.path == str(p) and exc.message
        return
    assert docs
    for pr in problems:
        assert pr.level == "warning" and pr.path.startswith(str(p)) and pr.message
    for d in docs:
        assert d.text.strip() and len(d.offsets) == len(d.text)
        for ch, o in zip(d.text, d.offsets):
            assert 0 <= o <= len(d.raw)
            if d.fmt != "html" and not ch.isspace():  # html: an entity maps to its "&"
                assert d.raw[o] == ch
        d.text.encode("utf-8")  # no lone surrogate reaches spaCy or an output file
        (d.title or "").encode("utf-8")


def _encode(s: str, how: int) -> bytes:
    enc = ("utf-8", "utf-16", "utf-32", "latin-1")[how]
    return s.encode(enc, "surrogatepass" if enc == "utf-8" else "replace")


@FUZZ
@given(text, st.integers(0, 3))
def test_fuzz_txt(s, how):
    _check("f.txt", _encode(s, how))


@FUZZ
@given(text, st.integers(0, 3))
def test_fuzz_md(s, how):
    _check("f.md", _encode(s, how))


@FUZZ
@given(text, st.integers(0, 3))
def test_fuzz_html(s, how):
    _check("f.html", _encode(s, how))


@FUZZ
@given(st.lists(st.one_of(json_value.map(lambda v: json.dumps(v, ensure_ascii=bool(len(str(v)) % 2))), text),
                max_size=5), st.integers(0, 1))
def test_fuzz_jsonl(lines, how):
    _check("f.jsonl", _encode("\n".join(lines), how))


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["f.txt", "f.md", "f.html", "f.jsonl"]))
def test_fuzz_bytes(data, name):
    _check(name, data)


@FUZZ
@given(text)
def test_fuzz_reference(s):
    _check("ref.txt", s.encode("utf-8", "surrogatepass"), role="reference")


@pytest.mark.parametrize("name", sorted(FILES))
def test_regression_files(name):
    _check("r" + Path(name).suffix, FILES[name])
