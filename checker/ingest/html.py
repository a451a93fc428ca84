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

from .textmap import MappedText

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
        if tag in SKIP_TAGS:
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag):
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


def visible_text(raw: str) -> MappedText:
    p = _Visible(raw)
    p.feed(raw)
    p.close()
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


def extract(raw: str) -> tuple[list[MappedText], str | None, list[str]]:
    """Return (content paragraphs with raw offsets, title, notes)."""
    import trafilatura

    notes = []
    if ACTIVE.search(raw):
        notes.append("scripts or event handlers removed (never executed)")
    content = trafilatura.extract(raw, output_format="txt", include_comments=False,
                                  include_tables=True, favor_precision=True, deduplicate=False) or ""
    meta = trafilatura.extract_metadata(raw)
    title = meta.title if meta is not None and meta.title else None
    vis = _normalize(visible_text(raw))
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
            while words and i < 0:
                words = words[:-1]
                i = vis.text.find(" ".join(words), cursor) if words else -1
            if i < 0:
                notes.append(f"could not locate extracted text in the page: {line[:60]!r}")
                continue
            line = " ".join(words)
        paras.append(vis.slice(i, i + len(line)))
        cursor = i + len(line)
    if title and not any(title in p.text for p in paras):
        i = vis.text.find(title)
        if i >= 0:
            paras.insert(0, vis.slice(i, i + len(title)))
    return paras, title, notes
