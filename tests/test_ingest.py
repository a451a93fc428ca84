from pathlib import Path

import pytest

from checker import errors as E
from checker.config import Config
from checker.ingest import load, read_file
from tests.conftest import SEEDS


def test_seed_boilerplate_removed_and_offsets_kept():
    docs, problems = load([SEEDS], skip={(SEEDS / "reference.txt").resolve()})
    assert problems == []
    assert len(docs) == 5
    text = {d.name: d.text for d in docs}
    joined = "\n".join(text.values())
    for junk in ("Jannah Theme License", "Join our WhatsApp Channel", "Back to top button", "Most Read",
                 "Related News", "Medinsky leads Russian delegation", "BREAKING", "4 Israeli soldiers killed",
                 "Privacy Policy", "| Reuters", "Read also:"):
        assert junk not in joined, junk
    for keep in ("arrest warrant issued by the International Court of Justice",
                 "does not provide weapons or military assistance to Russia",
                 "Russian Foreign Minister Sergey Lavrov and Chinese Foreign Minister Wang Yi discussed"):
        assert keep in joined
    # every kept character maps back to the same character in the original file
    for d in docs:
        assert len(d.offsets) == len(d.text)
        for i in range(0, len(d.text), 7):
            if not d.text[i].isspace():
                assert d.raw[d.offsets[i]] == d.text[i]
        assert all(reason for _, _, reason in d.removed)


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def test_bad_inputs_are_named_and_others_still_processed(tmp_path):
    good = _write(tmp_path, "good.txt", b"The minister met the envoy in Beijing on Monday to discuss trade.\n")
    _write(tmp_path, "empty.txt", b"")
    _write(tmp_path, "binary.txt", bytes(range(256)) * 4)
    _write(tmp_path, "latin1.txt", "Caf\xe9 owners met the mayor on Monday.".encode("latin-1"))
    _write(tmp_path, "feed.jsonl", b'{"id": "a1", "text": "The council approved the budget on Tuesday."}\n{not json\n[1, 2]\n{"id": "a2"}\n')
    docs, problems = load([tmp_path])
    names = sorted(d.name for d in docs)
    assert names == ["feed.jsonl#a1", "good.txt"]
    by_code = {(p.code, Path(p.path.split(":")[0]).name) for p in problems}
    assert (E.E002_EMPTY, "empty.txt") in by_code
    assert (E.E003_BINARY, "binary.txt") in by_code
    assert (E.E004_ENCODING, "latin1.txt") in by_code
    assert (E.W101_JSONL_LINE, "feed.jsonl") in by_code  # "{not json" and "[1, 2]"
    assert (E.W102_JSONL_NO_TEXT, "feed.jsonl") in by_code
    assert sum(p.code == E.W101_JSONL_LINE for p in problems) == 2
    assert any(":3" in p.path for p in problems)  # line numbers are reported
    assert good.exists()


def test_too_large_and_missing(tmp_path):
    big = _write(tmp_path, "big.txt", b"word " * 5000)
    docs, problems = load([big, tmp_path / "nope.txt"], config=Config(max_file_bytes=1000))
    assert docs == []
    assert {p.code for p in problems} == {E.E005_TOO_LARGE, E.E001_NOT_FOUND}
    assert all(p.level == "error" for p in problems)


def test_html_scripts_removed_offsets_into_raw(tmp_path):
    html = """<html><head><title>Court rules</title><script>alert('x')</script></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article><h1>Court rules on warrant</h1>
<p>The International Criminal Court issued an arrest warrant for the president on Friday, officials in The Hague said.</p>
<p>Judges said the evidence supported charges of unlawful deportation of children &amp; other crimes.</p>
<p><img src=x onerror="alert(1)">Lawyers for the government rejected the ruling and said they would appeal it next week.</p>
</article><footer>Share on WhatsApp. All rights reserved.</footer></body></html>"""
    p = _write(tmp_path, "page.html", html.encode())
    (doc,), problems = read_file(p)
    assert "alert" not in doc.text and "Home" not in doc.text
    assert "International Criminal Court issued an arrest warrant" in doc.text
    assert any(pr.code == E.W103_HTML_ACTIVE for pr in problems)
    i = doc.text.index("Judges said")
    s, e = doc.raw_span(i, i + len("Judges said"))
    assert doc.raw[s:e] == "Judges said"
    j = doc.text.index("&")
    assert doc.raw[doc.offsets[j]: doc.offsets[j] + 5] == "&amp;"


def test_markdown_markup_stripped(tmp_path):
    p = _write(tmp_path, "post.md", b"# Summit ends\n\nThe **leaders** agreed on a [ceasefire](http://x.y/z) plan on Sunday.\n")
    (doc,), _ = read_file(p)
    assert "The leaders agreed on a ceasefire plan on Sunday." in doc.text
    k = doc.text.index("ceasefire")
    assert doc.raw[doc.offsets[k]: doc.offsets[k] + 9] == "ceasefire"


def test_unsupported_extension(tmp_path):
    p = _write(tmp_path, "x.pdf", b"%PDF-1.4")
    with pytest.raises(E.CheckerError) as exc:
        read_file(p)
    assert exc.value.code == E.E006_UNSUPPORTED and "x.pdf" in str(exc.value)
