"""Boilerplate removal for plain text (and Markdown after markup stripping).

Scraped news pages arrive as text with navigation menus, "BREAKING" tickers,
"Most Read" / "Related News" link lists, share prompts, theme notices, bylines
and photo credits. The rules below work line by line; every removed line is
returned with the reason so that nothing is dropped silently.
HTML goes through trafilatura instead (see :mod:`checker.ingest.html`).
"""

from __future__ import annotations

import re

# A line matching one of these is page furniture.
FURNITURE = [
    ("theme-notice", r"theme license is not validated|validate the license|theme options page"),
    ("share-prompt", r"^(join our|follow us|subscribe( to)?|sign up|share (this|on)|download (our|the) app|get the latest news)\b"),
    ("share-prompt", r"\b(whatsapp|telegram) channel\b"),
    # the caption line of an embedded social post ("A post shared by Mel Windsor (@amelwindsor) on
    # Apr 3, 2018 at 5:03am PDT"; WiCE's cited pages): each embed has its own date, so two pages
    # with embeds "contradict" each other on it
    ("social-embed", r"^a post (was )?shared by .{1,80}\bon [A-Z][a-z]{2,8}\.? \d{1,2}\b.{0,30}$"),
    ("social-embed", r"^— .{1,60}\(@\w+\) [A-Z][a-z]{2,8} \d{1,2}, \d{4}$"),
    # a crawled page's metadata header ("(meta data) TITLE: ...", "(meta data) AUTHOR: ...": the
    # Common Crawl page dumps WiCE cites); its title and date are read by ingest.meta.crawl_fields
    ("page-metadata", r"^\(meta data\) [A-Z][A-Z ]{1,40}:"),
    ("navigation", r"^(back to top( button)?|skip to (main )?content|menu|search|home|advertisement|sponsored)$"),
    ("cross-link", r"^(read (also|more|next|this)|see also|also read|watch|related|recommended)\s*[:\-–]"),
    ("cross-link", r"^read\s*:"),
    ("byline", r"^(by|source|written by|edited by|reporting by)\s*[:]?\s+\S.{0,60}$"),
    ("dateline", r"^\d{1,2} [A-Z][a-z]{2,8} \d{4}( \d{1,2}:\d{2})?$"),
    ("dateline", r"^\d+ min(ute)?s? read$"),
    ("legal", r"all rights reserved|privacy policy|terms of (use|service)|cookie (policy|settings)"),
    ("photo-credit", r"\|\s*(reuters|afp|ap|getty images|epa|xinhua|anadolu)\s*$"),
    ("photo-credit", r"\((?:[^()]*\b(?:AP|AFP|Reuters|Getty|Illustrated|via|Photo|Images|EPA|Xinhua|Anadolu)\b[^()]*)\)\S*\s*$"),
]
FURNITURE_RX = [(why, re.compile(rx, re.IGNORECASE)) for why, rx in FURNITURE]

# Headers that open a link list; the list runs until the next real paragraph.
LIST_HEADERS = re.compile(
    r"^(most read|most popular|related( news| articles| stories)?|read next|more from .*|more stories|"
    r"trending( now)?|coverage|you may also like|latest news|top stories|in pictures|popular)$",
    re.IGNORECASE,
)
# A ticker runs until the next blank line.
TICKER_HEADERS = re.compile(r"^(breaking( news)?|live|just in|latest)$", re.IGNORECASE)
BULLET = re.compile(r"^\s*[•·\-*▪●◦]\s+")
END_PUNCT = re.compile(r"[.!?\"”’')\]]\s*$")


def words(line: str) -> int:
    return len(line.split())


def is_paragraph(line: str) -> bool:
    """A real prose paragraph: long enough and ends like a sentence."""
    return words(line) >= 12 and bool(END_PUNCT.search(line))


# A line this long that ends like a sentence is article text, whatever phrase it contains: the
# furniture rules are written for short lines, and several match anywhere in a line ("privacy
# policy", "Telegram channel", "(via ..." at the end), so a one-line article that mentioned its
# site's privacy policy lost every word (a 1.2 MB single paragraph of real news: all of it).
LONG_PROSE_WORDS = 60


def long_prose(line: str) -> bool:
    return bool(END_PUNCT.search(line)) and len(line.split(None, LONG_PROSE_WORDS)) > LONG_PROSE_WORDS


def furniture(line: str) -> str | None:
    """The reason a line is page furniture, or None."""
    return next((why for why, rx in FURNITURE_RX if rx.search(line)), None)


def classify_lines(lines: list[str]) -> list[str | None]:
    """Return, per line, None to keep it or the reason it is boilerplate."""
    out: list[str | None] = []
    mode: str | None = None  # "list" | "ticker"
    for raw in lines:
        line = raw.strip()
        if not line:
            out.append(None)
            if mode == "ticker":
                mode = None
            continue
        bare = BULLET.sub("", line).strip()
        if mode == "ticker" or TICKER_HEADERS.match(bare):
            mode = "ticker"
            out.append("ticker")
            continue
        why = None if long_prose(bare) else furniture(bare)
        if mode == "list":
            if is_paragraph(bare) and not why:
                mode = None
            else:
                out.append("link-list")
                continue
        if LIST_HEADERS.match(bare):
            mode = "list"
            out.append("link-list")
            continue
        if why:
            out.append(why)
            continue
        if BULLET.match(line) and words(bare) < 12:
            out.append("menu/bullet")
            continue
        if words(bare) < 6 and not END_PUNCT.search(bare):
            out.append("short-line")
            continue
        out.append(None)
    return out
