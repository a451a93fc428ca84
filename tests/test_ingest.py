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


# --- issue 10b: the HTML helpers that made ingest linear give the answers of the slow versions ---

HTML_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Grain talks</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav><main><article><h1>Grain talks</h1>
<p>The minister met the envoy in Beijing on Monday to discuss trade, security and the prices of grain, officials said.</p>
<div><p>Officials said the talks were <b>useful</b> &amp; frank, and that a &quot;deal&quot; was near.<br>A second line
follows the break and it is long enough to be kept as a paragraph of the article.</p></div>
<table><tr><th>Crop</th><th>Tonnes</th></tr><tr><td>Grain</td><td>12</td></tr><tr><td>Rice</td><td>7</td></tr></table>
<ul><li>The envoy said a deal could be signed by the end of the month if both sides agreed.</li></ul>
<p>Zero\u200bwidth and soft hy\u00adphens appear in this sentence about the prices of grain in May.</p>
<p>The minister met the envoy in Beijing on Monday to discuss trade, security and the prices of grain, officials said.</p>
</article></main><footer><p>All rights reserved.</p></footer></body></html>"""


def _normalize_reference(text, offsets):
    """The per-character loop _normalize replaced."""
    chars, offs, prev_space = [], [], True
    for ch, o in zip(text, offsets):
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                offs.append(o)
            prev_space = True
        else:
            chars.append(ch)
            offs.append(o)
            prev_space = False
    return "".join(chars), offs


def test_html_normalize_matches_per_character_loop():
    import random

    from checker.ingest.html import _normalize
    from checker.ingest.textmap import MappedText

    rnd = random.Random(7)
    pieces = [" ", "\t", "\n", "\xa0", "\u2028", "\u3000", "\x0c", "\x1c", "\x85", "\u200b", "a", "é", "word"]
    for _ in range(3000):
        s = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 25)))
        offsets = [rnd.randint(0, 99) for _ in s]
        got = _normalize(MappedText(s, offsets))
        assert (got.text, got.offsets) == _normalize_reference(s, offsets), repr(s)


def test_html_finder_matches_str_find():
    import random

    from checker.ingest.html import _Finder

    rnd = random.Random(3)
    vocab = ["grain", "the", "envoy", "|", "said", "a", "prices", "rose"]
    text = " ".join(rnd.choice(vocab[:-1]) for _ in range(4000))  # "rose" never occurs
    finder = _Finder(text)
    finder.WINDOW = 64  # small, so the remembered and word-checked lookups are exercised
    for _ in range(6000):
        pat = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 4)))
        start = rnd.randint(0, len(text) + 5)
        assert finder.find(pat, start) == text.find(pat, start), (pat, start)


def test_html_tree_is_trafilaturas_with_linear_xpath():
    """load_tree builds the tree trafilatura.utils.load_html would, and its one rewritten query
    returns the same nodes; so extraction is unchanged."""
    import lxml.html
    from trafilatura.utils import load_html

    from checker.ingest.html import load_tree

    for raw in (HTML_PAGE, HTML_PAGE.replace('<meta charset="utf-8">', '<?xml version="1.0" encoding="utf-8"?>'),
                "<p>fragment only</p>", "<html/>\n<body><p>self-closing html</p></body>", "plain words"):
        ours, ref = load_tree(raw), load_html(raw)
        assert (ours is None) == (ref is None), raw[:40]
        if ours is None:
            continue
        assert lxml.html.tostring(ours) == lxml.html.tostring(ref)
        for node in (ours, ours.find(".//article")):
            if node is None:
                continue
            got = node.xpath("//p//text()")
            want = ref.xpath("//p//text()")
            assert [str(t) for t in got] == [str(t) for t in want]
            assert [(t.getparent().tag, t.is_tail) for t in got] == [(t.getparent().tag, t.is_tail) for t in want]


def test_html_page_with_tables_extracts_as_before(tmp_path):
    """A page whose table rows trafilatura rewrites ("| Grain | 12 |"): rows are reported, the
    prose is located, offsets point into the raw file."""
    p = _write(tmp_path, "tables.html", HTML_PAGE.encode())
    (doc,), problems = read_file(p)
    assert "The minister met the envoy in Beijing" in doc.text
    assert "A second line" in doc.text and "follows the break and it is long enough" in doc.text
    assert "| Grain" not in doc.text
    assert any("could not locate" in pr.message and "Grain" in pr.message for pr in problems)
    for ch, o in zip(doc.text, doc.offsets):
        if not ch.isspace() and ch != "&":
            assert doc.raw[o] == ch or doc.raw[o] == "&"


def test_long_prose_line_is_never_furniture():
    """Furniture rules are for short lines; one that matches anywhere ("privacy policy") must not
    drop a whole one-paragraph article."""
    from checker.ingest.boilerplate import classify_lines

    sentence = "Facebook changed its privacy policy on Monday after regulators complained, the company said. "
    assert classify_lines(["Privacy Policy", "© 2024 Example News. All rights reserved.",
                           "Follow the minister on his Telegram channel"]) == ["legal", "legal", "share-prompt"]
    assert classify_lines([sentence * 5]) == [None]  # 65 words of prose
    assert classify_lines([sentence * 2]) == ["legal"]  # a short line: as before


def test_social_embed_captions_are_furniture():
    """The caption of an embedded Instagram / Twitter post carries the post's own date: two pages
    with embeds were flagged as contradicting each other on it (WiCE pages, scale corpus)."""
    from checker.ingest.boilerplate import classify_lines

    assert classify_lines(["A post shared by Mel Windsor (@amelwindsor) on Apr 3, 2018 at 5:03am PDT",
                           "— Donald J. Trump (@realDonaldTrump) March 2, 2018",
                           "A post shared by the ministry on Monday said the talks had failed."]) == \
        ["social-embed", "social-embed", None]


def test_crawled_page_metadata_is_furniture_and_gives_title_and_date(tmp_path):
    """A crawled page's "(meta data) KEY: value" header is not article text (two pages were
    flagged as contradicting each other on "Brian Solomon is meta data" vs "Starbucks is meta
    data"); its TITLE and PUBLISHED DATETIME are the document's title and date."""
    from checker import ingest
    from checker.config import Config

    p = tmp_path / "page.md"
    p.write_text("(meta data) TITLE: Struck By Starbucks\n(meta data) AUTHOR: Brian Solomon\n"
                 "(meta data) PUBLISHED DATETIME: 6/30/2016 11:00:00 PM\n\n"
                 "Starbucks opened its first store in the city on Tuesday, the company said.\n", encoding="utf-8")
    (doc,), problems = ingest.load([str(p)], "article", Config(progress=False))
    assert not problems
    assert doc.title == "Struck By Starbucks" and doc.date == "2016-06-30"
    assert "meta data" not in doc.text and doc.text.strip().startswith("Starbucks opened")
    assert [why for _, _, why in doc.removed].count("page-metadata") == 3
