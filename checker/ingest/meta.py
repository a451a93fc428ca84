"""Article metadata: outlet, title and publication date.

Sources, best first: HTML metadata (trafilatura/htmldate: ``og:site_name``, JSON-LD
``datePublished``, ``article:published_time`` ...), JSONL fields (``date``/``published``,
``outlet``/``source``/``publisher``, the host of ``url``), and for plain text a dateline
("October 16, 2023", "17 March 2023", "2023-10-16") in the first lines of the article.
Nothing is guessed beyond these: a missing value stays ``None``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from urllib.parse import urlsplit

from ..records import Document

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_MON = {m: i + 1 for i, m in enumerate(MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MRX = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(rf"\b{_MRX}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), ("M", "d", "y")),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MRX}\s+(\d{{4}})\b", re.I), ("d", "M", "y")),
)
DATE_FIELDS = ("date", "published", "published_at", "publish_date", "pubdate", "datetime", "date_published")
OUTLET_FIELDS = ("outlet", "source", "publisher", "site", "sitename", "site_name", "domain")


def find_dates(text: str) -> list[tuple[int, int, date]]:
    """(start, end, date) of every absolute calendar date written in ``text``."""
    out = []
    for rx, order in DATE_PATTERNS:
        for m in rx.finditer(text):
            parts = dict(zip(order, m.groups()))
            try:
                month = int(parts["m"]) if "m" in parts else _MON[parts["M"].lower().rstrip(".")]
                d = date(int(parts["y"]), month, int(parts["d"]))
            except (KeyError, ValueError):
                continue
            if 1900 <= d.year <= 2100:
                out.append((m.start(), m.end(), d))
    return sorted(out, key=lambda x: x[0])


def parse_date(value) -> str | None:
    """An ISO date from a metadata value ("2023-10-16T08:00:00Z", "Oct 16, 2023", ...)."""
    if not isinstance(value, str) or not value.strip():
        return None
    found = find_dates(value)
    return found[0][2].isoformat() if found else None


def dateline(text: str, head_chars: int = 600) -> str | None:
    """The first absolute date in the opening of an article (its dateline or photo caption)."""
    found = find_dates(text[:head_chars])
    return found[0][2].isoformat() if found else None


def _host(url) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else (host or None)


def from_record(rec: dict) -> dict:
    """Outlet and date from a JSONL record's fields."""
    out = {}
    d = next((parse_date(rec[f]) for f in DATE_FIELDS if parse_date(rec.get(f))), None)
    if d:
        out.update(date=d, date_source="field")
    outlet = next((rec[f].strip() for f in OUTLET_FIELDS if isinstance(rec.get(f), str) and rec[f].strip()), None)
    outlet = outlet or _host(rec.get("url"))
    if outlet:
        out["outlet"] = outlet
    return out


def from_html(raw: str) -> dict:
    """Outlet and date from an HTML page's metadata (trafilatura / htmldate)."""
    try:
        import trafilatura

        meta = trafilatura.extract_metadata(raw)
    except Exception:  # metadata is optional; a page trafilatura cannot read still has text
        return {}
    if meta is None:
        return {}
    out = {}
    d = parse_date(meta.date)
    if d:
        out.update(date=d, date_source="metadata")
    outlet = meta.sitename or meta.hostname
    if outlet:
        out["outlet"] = outlet[4:] if outlet.startswith("www.") else outlet
    return out


def _plain_title(text: str) -> str | None:
    first = text.strip().split("\n", 1)[0].strip()
    if 3 <= len(first) <= 160 and not first.endswith((".", ":", ";", ",")) and len(first.split()) >= 3:
        return first
    return None


CRAWL_FIELD = re.compile(r"^\(meta data\) ([A-Z][A-Z ]{1,40}): *(.+?) *$", re.MULTILINE)


def crawl_fields(raw: str, head_chars: int = 5000) -> dict:
    """Title and date from a crawled page's metadata header ("(meta data) TITLE: ...",
    "(meta data) PUBLISHED DATETIME: 6/30/2016 11:00:00 PM"), which boilerplate removal drops
    from the text."""
    out: dict = {}
    for key, value in CRAWL_FIELD.findall(raw[:head_chars]):
        if key == "TITLE" and "title" not in out:
            out["title"] = value[:300]
        elif key in ("PUBLISHED DATETIME", "PUBLISHED DATE", "DATE") and "date" not in out:
            us = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})\b", value)  # the crawl's US form, "6/30/2016 11:00:00 PM"
            d = parse_date(value) if not us else parse_date(f"{us[3]}-{int(us[1]):02d}-{int(us[2]):02d}")
            if d:
                out.update(date=d, date_source="metadata")
    return out


def enrich(doc: Document, fields: dict | None = None) -> Document:
    """``doc`` with outlet, date (and, for plain text, the headline as title) filled in."""
    meta = dict(fields or {})
    if doc.fmt == "html" and not meta:
        meta = from_html(doc.raw)
    if doc.fmt in ("txt", "md") and not meta:
        meta = crawl_fields(doc.raw)
    if not meta.get("date") and doc.role == "article":
        # the opening of the original file: a dateline or photo caption may be page furniture
        d = dateline(doc.raw if doc.fmt in ("txt", "md") else doc.text)
        if d:
            meta.update(date=d, date_source="dateline")
    title = doc.title or meta.get("title") or (
        _plain_title(doc.text) if doc.fmt in ("txt", "md") and doc.role == "article" else None)
    return replace(doc, outlet=meta.get("outlet") or doc.outlet, date=meta.get("date") or doc.date,
                   date_source=meta.get("date_source") or doc.date_source, title=title)
