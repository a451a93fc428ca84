"""HTML: trafilatura picks the main content; we map it back to offsets in the file.

The visible text of the page is rebuilt with :class:`html.parser.HTMLParser`
(scripts, styles and templates skipped, entities decoded) keeping the offset of
every character in the raw file. Each line trafilatura keeps is then located in
that visible text, so claims carry offsets into the original HTML.
"""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

from .. import errors as E
from .textmap import MappedText

# Nesting deeper than this defeats libxml2 (trafilatura then drops the article as boilerplate):
# such pages go straight to the line-based fallback.
MAX_DEPTH = 200
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
             "track", "wbr"}

SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
              "article", "header", "footer", "blockquote", "ul", "ol", "table", "title", "figcaption"}
ACTIVE = re.compile(r"<script\b|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


class _Visible(HTMLParser):
    def __init__(self, raw: str):
        super().__init__(convert_charrefs=False)
        self.raw = raw
        self.line_starts = [0]
        for m in re.finditer("\n", raw):
            self.line_starts.append(m.end())
        self.chars: list[str] = []
        self.offs: list[int] = []
        self.skip = 0
        self.depth = 0
        self.max_depth = 0

    def parse_marked_section(self, i, report=1):
        # Python's parser raises AssertionError on "<![b`" and friends: treat as a bogus comment
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            j = self.rawdata.find(">", i)
            return len(self.rawdata) if j < 0 else j + 1

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _emit(self, text: str, start: int, per_char: bool = True) -> None:
        if self.skip:
            return
        if per_char:
            self.chars.extend(text)
            self.offs.extend(range(start, start + len(text)))
        else:  # an entity: all decoded chars map to the entity's start
            self.chars.extend(text)
            self.offs.extend([start] * len(text))

    def _break(self) -> None:
        if not self.skip and self.chars and self.chars[-1] != "\n":
            self.chars.append("\n")
            self.offs.append(self.offs[-1] + 1 if self.offs else 0)

    def handle_starttag(self, tag, attrs):
        if tag not in VOID_TAGS:
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag):
        self.depth = max(0, self.depth - 1)
        if tag in SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_data(self, data):
        self._emit(data, self._pos())

    def handle_entityref(self, name):
        self._emit(htmllib.unescape(f"&{name};"), self._pos(), per_char=False)

    def handle_charref(self, name):
        self._emit(htmllib.unescape(f"&#{name};"), self._pos(), per_char=False)


_TAG = re.compile(r"<[^<>]*>")


def _visible_fallback(raw: str) -> MappedText:
    """Tags removed, text kept (no entity decoding): for markup Python's parser rejects."""
    mt = MappedText.identity(raw)
    return mt.keep([(m.start(), m.end(), m.start(), m.start()) for m in _TAG.finditer(raw)])


def _parse(raw: str) -> _Visible:
    p = _Visible(raw)
    # A "<" after the last ">" can never open a tag; left to the parser, each such "<" rescans
    # to the end of the input (quadratic: 24 KB of "<a " took 27 s). Emit that tail as text.
    last = raw.rfind(">") + 1
    tail = raw.find("<", last)
    head_end = len(raw) if tail < 0 else tail
    p.feed(raw[:head_end])
    p.close()
    if head_end < len(raw):
        p._emit(raw[head_end:], head_end)
    return p


def visible_text(raw: str) -> MappedText:
    try:
        p = _parse(raw)
    except (AssertionError, ValueError, IndexError):
        return _visible_fallback(raw)
    return MappedText("".join(p.chars), p.offs)


def _normalize(mt: MappedText) -> MappedText:
    """Collapse whitespace runs to one space (keeping the map)."""
    chars, offs = [], []
    prev_space = True
    for ch, o in zip(mt.text, mt.offsets):
        if ch.isspace():
            if not prev_space:
                chars.append(" ")
                offs.append(o)
            prev_space = True
        else:
            chars.append(ch)
            offs.append(o)
            prev_space = False
    return MappedText("".join(chars), offs)


def extract(raw: str) -> tuple[list[MappedText] | None, str | None, list[tuple[str, str]]]:
    """Return (content paragraphs with raw offsets, title, notes as (code, message)).
    Paragraphs are None when trafilatura fails or finds no content (deep nesting, markup that
    trips lxml): the caller then cleans the visible text line by line."""
    import trafilatura

    notes: list[tuple[str, str]] = []
    if ACTIVE.search(raw):
        notes.append((E.W103_HTML_ACTIVE, "scripts or event handlers removed (never executed)"))
    try:
        p = _parse(raw)
        vis_raw = MappedText("".join(p.chars), p.offs)
        depth = p.max_depth
    except (AssertionError, ValueError, IndexError):
        vis_raw, depth = _visible_fallback(raw), 0
    if depth > MAX_DEPTH:
        notes.append((E.W107_HTML_FALLBACK, f"elements nested {depth} deep (over {MAX_DEPTH}): article text taken "
                                            "from the visible text, cleaned line by line"))
        return None, None, notes
    try:
        content = trafilatura.extract(raw, output_format="txt", include_comments=False,
                                      include_tables=True, favor_precision=True, deduplicate=False) or ""
        meta = trafilatura.extract_metadata(raw)
    except Exception as exc:  # noqa: BLE001 - lxml/trafilatura assertion errors on odd markup
        notes.append((E.W107_HTML_FALLBACK, f"HTML extractor failed ({type(exc).__name__}): visible text "
                                            "cleaned line by line instead"))
        return None, None, notes
    title = meta.title if meta is not None and meta.title else None
    if not content.strip():
        if vis_raw.text.strip():
            notes.append((E.W107_HTML_FALLBACK, "HTML extractor found no main content: visible text cleaned "
                                                "line by line instead"))
        return None, title, notes
    vis = _normalize(vis_raw)
    paras: list[MappedText] = []
    cursor = 0
    for line in content.splitlines():
        line = re.sub(r"\s+", " ", line).strip()
        line = re.sub(r"^[-*•]\s+", "", line)
        if not line:
            continue
        i = vis.text.find(line, cursor)
        if i < 0:
            i = vis.text.find(line)
        if i < 0:  # trafilatura rewrote it (rare): fall back to its longest located prefix
            words = line.split()
            lo, hi = 0, len(words)  # binary search on the prefix length (was one find per word)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if vis.text.find(" ".join(words[:mid]), cursor) >= 0:
                    lo = mid
                else:
                    hi = mid - 1
            i = vis.text.find(" ".join(words[:lo]), cursor) if lo else -1
            if i < 0:
                notes.append((E.W103_HTML_ACTIVE, f"could not locate extracted text in the page: {line[:60]!r}"))
                continue
            line = " ".join(words[:lo])
        paras.append(vis.slice(i, i + len(line)))
        cursor = i + len(line)
    if title and not any(title in p.text for p in paras):
        i = vis.text.find(title)
        if i >= 0:
            paras.insert(0, vis.slice(i, i + len(title)))
    return paras, title, notes
