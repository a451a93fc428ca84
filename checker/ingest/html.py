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


_SPACE_RUN = re.compile(r"\s+")


def _normalize(mt: MappedText) -> MappedText:
    """Collapse whitespace runs to one space (keeping the map): each run becomes one space mapped
    to the run's first character; a leading run is dropped. One regex pass and list slices (was
    a Python loop per character, a third of HTML ingest time)."""
    text, offsets = mt.text, mt.offsets
    chars: list[str] = []
    offs: list[int] = []
    pos = 0
    for m in _SPACE_RUN.finditer(text):
        s = m.start()
        chars.append(text[pos:s])
        offs.extend(offsets[pos:s])
        if s:  # str.isspace and the regex \s agree (both Py_UNICODE_ISSPACE)
            chars.append(" ")
            offs.append(offsets[s])
        pos = m.end()
    chars.append(text[pos:])
    offs.extend(offsets[pos:])
    return MappedText("".join(chars), offs)


# libxml2 merges XPath node sets with a duplicate check that scans the whole set so far, so
# trafilatura's test ``subtree.xpath("//p//text()")`` (one merge per <p>) is quadratic in the
# number of paragraphs: 8.5 s for 104,000 <p> (a 20 MB page), 0.07 s for 13,000. The same node
# set in the same (document) order comes from ``//text()[ancestor::p]`` in linear time. The tree
# we hand to trafilatura is built with element classes whose ``xpath`` swaps the one for the
# other; every other query, and so the extraction, is unchanged.
_LINEAR_XPATH = {"//p//text()": "//text()[ancestor::p]"}


class _LinearXPathMixin:
    def xpath(self, _path, **kwargs):
        return super().xpath(_LINEAR_XPATH.get(_path, _path), **kwargs)


def _html_parser():
    """lxml's HTML parser with trafilatura's options (``trafilatura.utils.HTML_PARSER``) and
    element classes that carry :class:`_LinearXPathMixin`."""
    import lxml.html

    class Lookup(lxml.html.HtmlElementClassLookup):
        mixed: dict = {}

        def lookup(self, node_type, document, namespace, name):
            cls = super().lookup(node_type, document, namespace, name)
            if node_type != "element" or cls is None:
                return cls
            if cls not in self.mixed:
                self.mixed[cls] = type(cls.__name__, (_LinearXPathMixin, cls), {})
            return self.mixed[cls]

    parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                  remove_comments=True, remove_pis=True)
    parser.set_element_class_lookup(Lookup())
    return parser


_PARSER = None


def load_tree(raw: str):
    """The tree ``trafilatura.utils.load_html(raw)`` builds (same repairs, same parser options,
    same fallbacks and rejection), made with :func:`_html_parser`; None where it gives None."""
    global _PARSER
    import lxml.html
    from trafilatura import utils as tu

    if _PARSER is None:
        _PARSER = _html_parser()

    def from_bytes(s: str):
        try:
            return lxml.html.fromstring(s.encode("utf8", "surrogatepass"), parser=_PARSER)
        except Exception:  # noqa: BLE001 - as trafilatura.utils.fromstring_bytes
            return None

    beginning = raw[:50].lower()
    check_flag = tu.is_dubious_html(beginning)
    s = tu.repair_faulty_html(raw, beginning)
    tree, fallback_parse = None, False
    try:
        tree = lxml.html.fromstring(s, parser=_PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree, fallback_parse = from_bytes(s), True
    except Exception:  # noqa: BLE001 - as trafilatura.utils.load_html
        tree = None
    if (tree is None or len(tree) < 1) and not fallback_parse:
        tree = from_bytes(s)
    if tree is not None and check_flag and len(tree) < 2:
        tree = None
    return tree


class _Finder:
    """``text.find(pattern, start)``, same answers, without the quadratic cost of lines that are
    not in the text. Each trafilatura line is looked up at the cursor; a line it rewrote (every
    table row, "| a | b |", has cells joined by " | ") is not there, so each lookup scanned to
    the end of the page: a 20 MB page with 15,000 table rows hit the 115 s time guard. Now:

    * a first look in a window after ``start`` finds the usual, nearby line;
    * a pattern can only occur at ``p >= start`` if each of its space-separated words does, and
      a word's own lookups are remembered: a word that is nowhere after ``q`` (the "|" of table
      rows) is not looked for again from any ``start >= q``;
    * a pattern's full lookup is remembered too: the first match at or after ``q`` is ``r``, so
      for ``q <= start <= r`` the answer is ``r`` again (and -1 stays -1 for ``start >= q``)."""

    WINDOW = 1 << 16

    def __init__(self, text: str):
        self.text = text
        self.memo: dict[str, tuple[int, int]] = {}

    def _find_memo(self, pat: str, start: int) -> int:
        m = self.memo.get(pat)
        if m is not None and m[0] <= start and (m[1] < 0 or start <= m[1]):
            return m[1]
        r = self.text.find(pat, start)
        self.memo[pat] = (start, r)
        return r

    def find(self, pat: str, start: int = 0) -> int:
        i = self.text.find(pat, start, start + self.WINDOW + 8 * len(pat))
        if i >= 0:
            return i
        words = pat.split(" ")
        if len(words) > 1 and any(self._find_memo(w, start) < 0 for w in words):
            return -1
        return self._find_memo(pat, start)


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
        tree = load_tree(raw)
        content = trafilatura.extract(raw if tree is None else tree, output_format="txt", include_comments=False,
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
    find = _Finder(vis.text).find
    for line in content.splitlines():
        line = re.sub(r"\s+", " ", line).strip()
        line = re.sub(r"^[-*•]\s+", "", line)
        if not line:
            continue
        i = find(line, cursor)
        if i < 0:
            i = find(line)
        if i < 0:  # trafilatura rewrote it (rare): fall back to its longest located prefix
            words = line.split()
            lo, hi = 0, len(words)  # binary search on the prefix length (was one find per word)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if find(" ".join(words[:mid]), cursor) >= 0:
                    lo = mid
                else:
                    hi = mid - 1
            i = find(" ".join(words[:lo]), cursor) if lo else -1
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
