from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from . import app
from ._common import ALLOW_DOWNLOAD, NLI_MODEL, Format, check_output, fail, make_config, say, write_output, write_stdout


@dataclass
class _Input:
    """A source or a checked text: the cleaned text the verifier sees, and the documents it
    was joined from, so spans can be reported as offsets in the original file."""

    name: str
    text: str
    parts: list = field(default_factory=list)  # (offset in text, Document)

    def locate(self, start: int, end: int) -> dict:
        """{file, start, end} of a span of ``text`` in the original file (the literal text
        itself when it came from the command line)."""
        for off, doc in reversed(self.parts):
            if start >= off:
                a, b = doc.raw_span(start - off, min(end - off, len(doc.text)))
                return {"file": doc.name, "start": a, "end": b}
        return {"file": self.name, "start": start, "end": end}


def _looks_like_path(arg: str) -> bool:
    """One word with a folder separator or a readable file extension: meant as a file name."""
    from ..ingest import EXTENSIONS

    if not arg or any(c.isspace() for c in arg) or len(arg) > 255:
        return False
    return "/" in arg or os.sep in arg or Path(arg).suffix.lower() in EXTENSIONS


def _read(arg: str, role: str, literal: bool = False) -> _Input:
    """The cleaned text of a file, or (for the text to check) the argument itself as literal
    text. A text argument that looks like a file name but names no file is an error: a typo
    would otherwise be checked as the claim "summmary.md" (use --text for literal text)."""
    from ..errors import show_path
    from ..ingest import read_one

    if literal:
        return _Input("<text>", arg)
    p = Path(arg)
    exists = len(arg) < 4096 and (p.exists() or p.is_symlink())
    if exists:
        docs, problems = read_one(p, role)
        for pr in problems:
            say(str(pr))
        if not docs:
            fail(f"error: {role} file {show_path(arg)} cannot be used (see above)")
        parts, off = [], 0
        for d in docs:
            parts.append((off, d))
            off += len(d.text) + 2
        return _Input(p.name, "\n\n".join(d.text for d in docs), parts)
    if role == "source":
        fail(f"error [E001] source file {show_path(arg)} not found")
    if _looks_like_path(arg):
        fail(f"error [E001] {show_path(arg)} looks like a file name but no such file exists; "
             f"to check this literal text, pass it with --text")
    return _Input("<text>", arg)


def _evidence(span, where: _Input) -> dict | None:
    return None if span is None else {"text": span.text, **where.locate(span.start, span.end)}


@app.command("verify")
def verify_cmd(source: str = typer.Argument(..., help="The trusted source document (.txt/.md/.html/.jsonl)."),
               claims: str = typer.Argument(..., help="A file with the text to check, or the text itself "
                                            "(a one-word argument that looks like a file name must exist; see --text)."),
               fmt: Format = typer.Option(Format.text, "--format", "-f", help="text, markdown, json or html (self-contained page)."),
               output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (atomically)."),
               literal: bool = typer.Option(False, "--text", help="CLAIMS is literal text, never a file name."),
               nli_model: Optional[str] = NLI_MODEL, allow_download: bool = ALLOW_DOWNLOAD) -> None:
    """Check each claim of a text against one source: supported / contradicted / not in source."""
    import warnings

    from ..errors import CheckerError, printable, show_path
    from ..nli_models import NLIModelWarning
    from ..verify import Verifier

    check_output(output)
    src_in, txt_in = _read(source, "source"), _read(claims, "article", literal)
    src_name, src, txt_name, text = src_in.name, src_in.text, txt_in.name, txt_in.text
    config = make_config(nli_model, allow_download, progress=False)
    say("[checker] loading models and checking claims")
    try:
        with warnings.catch_warnings():  # the same warnings are printed below, once, with their codes
            warnings.simplefilter("ignore", NLIModelWarning)
            v = Verifier(config)
    except CheckerError as exc:
        fail(f"error [{exc.code}] --nli-model {show_path(exc.path)}: {exc.message}")
    for p in v.problems:
        say(str(p))
    checks = v.check(src, text)
    p_doc = v.consistency([(src, text)])[0]
    thr = v.doc_cal.get("threshold")
    if fmt == Format.json:
        out = json.dumps({"source": src_name, "text": txt_name, "consistency": p_doc,
                          "consistent": (p_doc >= thr) if thr is not None else None, "threshold": thr,
                          "claims": [_claim_json(c, src_in, txt_in) for c in checks]},
                         indent=2, ensure_ascii=False) + "\n"
    elif fmt == Format.html:
        out = _html(checks, p_doc, thr, src_in, txt_in)
    else:
        md = fmt == Format.markdown
        if md:
            from ..report.render import _md as clean
            name = lambda s: _md_name(s)  # noqa: E731
        else:
            clean, name = printable, show_path
        verdict = "" if thr is None else (" — consistent" if p_doc >= thr else " — NOT consistent") + f" at threshold {thr:.2f}"
        summary = f"P(consistent with the source) = {p_doc:.2f}{verdict}"
        lines = [f"# {name(txt_name)} checked against {name(src_name)}", "", f"**{summary}**", ""] if md else [summary]
        for c in checks:
            ev = c.best_support if c.verdict != "contradicted" else c.best_contradiction
            head = f"{c.verdict.upper():14s} support {c.support:.2f}  contradiction {c.contradiction:.2f}  {clean(c.claim)}"
            lines.append(f"- **{c.verdict}** (support {c.support:.2f}, contradiction {c.contradiction:.2f}): {clean(c.claim)}" if md else head)
            if ev is not None and c.verdict != "not in source":
                loc = src_in.locate(ev.start, ev.end)
                lines.append(f"    source {name(loc['file'])} [{loc['start']}:{loc['end']}]: {clean(ev.text[:300])}")
        out = "\n".join(lines) + "\n"
    if output:
        write_output(output, out)
    else:
        write_stdout(out, fmt.value)


def _md_name(s: str) -> str:
    from ..errors import show_path
    from ..report.render import _md

    return _md(show_path(s))


def _html(checks, p_doc: float, thr, src: _Input, txt: _Input) -> str:
    """A self-contained page (no scripts, no network: the report's CSP), every value escaped."""
    from html import escape

    from ..errors import show_path
    from ..report.html import CSP

    e = lambda s: escape("" if s is None else str(s), quote=True)  # noqa: E731
    verdict = "" if thr is None else (" — consistent" if p_doc >= thr else " — NOT consistent") + f" at threshold {thr:.2f}"
    rows = []
    for c in checks:
        ev = c.best_support if c.verdict != "contradicted" else c.best_contradiction
        where = ""
        if ev is not None and c.verdict != "not in source":
            loc = src.locate(ev.start, ev.end)
            where = f'{e(show_path(loc["file"]))} [{loc["start"]}:{loc["end"]}]: {e(ev.text[:300])}'
        rows.append(f'<tr class="{e(c.verdict.replace(" ", "-"))}"><td>{e(c.verdict)}</td><td>{c.support:.2f}</td>'
                    f"<td>{c.contradiction:.2f}</td><td>{e(c.claim)}</td><td>{where}</td></tr>")
    title = f"{show_path(txt.name)} checked against {show_path(src.name)}"
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>{e(title)}</title>'
            "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:12px}"
            "td,th{padding:3px 8px;vertical-align:top;text-align:left}tr.contradicted{background:#ffd2d2}"
            "tr.supported{background:#d6f5d6}</style></head><body>"
            f"<h1>{e(title)}</h1><p><b>P(consistent with the source) = {p_doc:.2f}{e(verdict)}</b></p>"
            "<table><tr><th>verdict</th><th>support</th><th>contradiction</th><th>claim</th><th>evidence in the source</th></tr>"
            + "".join(rows) + "</table></body></html>\n")


def _claim_json(c, src: _Input, txt: _Input) -> dict:
    """A ClaimCheck with every span given as offsets in its original file."""
    at = txt.locate(c.start, c.end)
    return {"claim": c.claim, "sentence": c.sentence, "file": at["file"], "start": at["start"], "end": at["end"],
            "support": c.support, "contradiction": c.contradiction, "verdict": c.verdict,
            "best_support": _evidence(c.best_support, src), "best_contradiction": _evidence(c.best_contradiction, src),
            "signals": c.signals}
