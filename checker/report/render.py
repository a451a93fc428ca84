"""Renderers: terminal text, Markdown and JSON, all from :func:`checker.report.model.report_dict`."""

from __future__ import annotations

import json
import re

from ..errors import printable, show_path
from .model import relation_label, who

STATUS_MARK = {"contradicted": "✗ contradicted", "corroborated": "✓ corroborated",
               "unresolved": "? unresolved", "single-source": "· only this source"}
ALSO_AT = 5  # locations listed under a finding in text (JSON lists every one)
COLORS = {"contradicted": "red", "corroborated": "green", "unresolved": "yellow", "single-source": None}


def _signals(f: dict) -> str:
    return ", ".join(s["name"] for s in f["signals"]) or "NLI only"


# Everything that comes from an input (article text, claims, names, messages) goes through
# ``_t`` (terminal: control/bidi characters escaped visibly, newlines as spaces) or ``_md``
# (Markdown: that, plus every character Markdown or inline HTML gives a meaning escaped).
_t = printable


def _name(s) -> str:
    """An article or file name: printable ASCII as is, anything else in ascii() form."""
    return show_path(s)


def _who(side: dict) -> str:
    return "reference" if side["role"] == "reference" else _name(who(side))


def _evidence(ev: dict, fmt=_t, name=_who) -> str:
    return f"{relation_label(ev)} {name(ev['other'])} ({ev['score']:.2f}): {fmt(ev['other']['sentence'])}"


def _meta(side: dict) -> str:
    """ — outlet, date, "title" of the side's article, where known (escaped for the terminal)."""
    parts = [_t(x) for x in (side.get("outlet"), side.get("date")) if x]
    if side.get("title"):
        parts.append(f"“{_t(side['title'])}”")
    return ("  — " + ", ".join(parts)) if parts else ""


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def json_chunks(data: dict, size: int = 1 << 20):
    """:func:`to_json` in pieces of about ``size`` characters (their concatenation is the same
    text): a large report is written without holding its whole JSON text."""
    buf, n = [], 0
    for piece in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(data):
        buf.append(piece)
        n += len(piece)
        if n >= size:
            yield "".join(buf)
            buf, n = [], 0
    buf.append("\n")
    yield "".join(buf)


def contradictions_text(data: dict, color: bool = False) -> str:
    import typer

    items = data["contradictions"]
    lines = [f"{len(items)} cross-source contradiction(s) at threshold {data['thresholds']['contradiction']:.2f}", ""]
    for k, f in enumerate(items, 1):
        head = f"#{k}  P(contradiction) = {f['score']:.2f}   signals: {_signals(f)}" + (
            "   [disputed: " + f"A per {_t(f['disputed']['a_asserted_by'])}, B per {_t(f['disputed']['b_asserted_by'])}]"
            if f.get("kind") == "disputed" else "")
        lines.append(typer.style(head, fg="red", bold=True) if color else head)
        for tag in ("a", "b"):
            s = f[tag]
            lines.append(f"   {tag.upper()}  {_who(s)} [{s['start']}:{s['end']}]{_meta(s)}")
            lines.append(f"      sentence: {_t(s['sentence'])}")
            if s["claim"] != s["sentence"]:
                lines.append(f"      claim:    {_t(s['claim'])}" + (f"   (speaker: {_t(s['speaker'])})" if s["speaker"] else ""))
        for sig in f["signals"]:
            lines.append(f"      {sig['name']}: {_t(sig['detail'])}")
        more = f.get("locations", [])[1:]
        for loc in more[:ALSO_AT]:
            lines.append(f"      also at: {_name(loc['a']['article'])} [{loc['a']['start']}:{loc['a']['end']}] / "
                         f"{_name(loc['b']['article'])} [{loc['b']['start']}:{loc['b']['end']}]")
        if len(more) > ALSO_AT:
            lines.append(f"      and at {len(more) - ALSO_AT} more pair(s) of places (all in --format json)")
        lines.append("")
    return "\n".join(lines) + "\n"


def report_text(data: dict, color: bool = False) -> str:
    import typer

    out = [contradictions_text(data, color)]
    for art in data["articles"]:
        c = art["counts"]
        head = f"== {_name(art['article'])}{_meta(art)}  ({len(art['claims'])} claims: {c['contradicted']} contradicted, " \
               f"{c['corroborated']} corroborated, {c['unresolved']} unresolved, {c['single-source']} single-source)"
        out.append(typer.style(head, bold=True) if color else head)
        for row in art["claims"]:
            mark = STATUS_MARK[row["status"]]
            mark = typer.style(mark, fg=COLORS[row["status"]]) if color and COLORS[row["status"]] else mark
            out.append(f"  {mark:<20} [{row['start']}:{row['end']}] {_t(row['claim'])}")
            for ev in row["evidence"][:2]:
                out.append(f"      {_evidence(ev)}")
        out.append("")
    for p in data["problems"]:
        out.append(f"{p['level']} [{p['code']}] {_name(p['path'])}: {_t(p['message'])}")
    return "\n".join(out) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$=^-])")


def _md(s) -> str:
    """Inline Markdown that renders as the literal text: no HTML, links, images, emphasis,
    headings or table breaks can come from an article, an id or a file name."""
    return _MD_SPECIAL.sub(r"\\\1", printable(s))


_CODE_SAFE = re.compile(r"[\w.:-]+", re.ASCII)


def _code(s) -> str:
    """An identifier (signal name, problem code) as an inline code span. Backslash escapes are
    literal inside a code span (``number\\_mismatch`` showed its backslash), so only a plain
    identifier goes in one; anything else is escaped text."""
    s = printable(s)
    return f"`{s}`" if _CODE_SAFE.fullmatch(s) else _md(s)


def _md_who(side: dict) -> str:
    return "reference" if side["role"] == "reference" else _md(_name(who(side)))


def contradictions_markdown(data: dict) -> str:
    items = data["contradictions"]
    lines = ["# Cross-source contradictions", "",
             f"{len(items)} found at threshold {data['thresholds']['contradiction']:.2f} (scores are calibrated probabilities).", ""]
    for k, f in enumerate(items, 1):
        lines.append(f"## {k}. P(contradiction) = {f['score']:.2f} — {_signals(f)}" +
                     (" — disputed claim" if f.get("kind") == "disputed" else ""))
        lines.append("")
        for tag in ("a", "b"):
            s = f[tag]
            lines.append(f"- **{_md_who(s)}**{_md(_meta(s))} `[{s['start']}:{s['end']}]`: {_md(s['sentence'])}")
            if s["claim"] != s["sentence"]:
                lines.append(f"  - claim: {_md(s['claim'])}" + (f" (speaker: {_md(s['speaker'])})" if s["speaker"] else ""))
        for sig in f["signals"]:
            lines.append(f"- signal {_code(sig['name'])}: {_md(sig['detail'])}")
        if len(f.get("locations", [])) > 1:
            lines.append(f"- seen at {len(f['locations'])} pairs of places (all in the JSON output)")
        lines.append("")
    return "\n".join(lines) + "\n"


def report_markdown(data: dict) -> str:
    out = [contradictions_markdown(data), "# Per-article report", ""]
    for art in data["articles"]:
        out += [f"## {_md(_name(art['article']))}{_md(_meta(art))}", "",
                "| status | claim | offsets | evidence |", "|---|---|---|---|"]
        for row in art["claims"]:
            ev = "; ".join(_evidence(e, _md, _md_who) for e in row["evidence"][:2])
            out.append(f"| {row['status']} | {_md(row['claim'])} | {row['start']}–{row['end']} | {ev} |")
        out.append("")
    if data["problems"]:
        out += ["## Input problems", ""] + [f"- {_md(p['level'])} {_code(p['code'])} {_md(_name(p['path']))}: {_md(p['message'])}" for p in data["problems"]]
    return "\n".join(out) + "\n"
