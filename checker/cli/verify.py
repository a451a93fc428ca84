from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from . import app
from ._common import Format


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


def _read(arg: str, role: str) -> _Input:
    """The cleaned text of a file, or the argument itself as literal text."""
    from ..errors import CheckerError
    from ..ingest import read_file

    p = Path(arg)
    if len(arg) < 4096 and p.exists():
        try:
            docs, problems = read_file(p, role)
        except CheckerError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2)
        for pr in problems:
            typer.echo(str(pr), err=True)
        parts, off = [], 0
        for d in docs:
            parts.append((off, d))
            off += len(d.text) + 2
        return _Input(p.name, "\n\n".join(d.text for d in docs), parts)
    if role == "source":
        typer.echo(f"error: source file {arg} not found", err=True)
        raise typer.Exit(2)
    return _Input("<text>", arg)


def _evidence(span, where: _Input) -> dict | None:
    return None if span is None else {"text": span.text, **where.locate(span.start, span.end)}


@app.command("verify")
def verify_cmd(source: str = typer.Argument(..., help="The trusted source document (.txt/.md/.html/.jsonl)."),
               claims: str = typer.Argument(..., help="A file with the text to check, or the text itself."),
               fmt: Format = typer.Option(Format.text, "--format", "-f", help="text, markdown or json."),
               output: Optional[Path] = typer.Option(None, "--output", "-o")) -> None:
    """Check each claim of a text against one source: supported / contradicted / not in source."""
    from ..verify import Verifier

    src_in, txt_in = _read(source, "source"), _read(claims, "article")
    src_name, src, txt_name, text = src_in.name, src_in.text, txt_in.name, txt_in.text
    typer.echo("[checker] loading models and checking claims", err=True)
    v = Verifier()
    checks = v.check(src, text)
    p_doc = v.consistency([(src, text)])[0]
    thr = v.doc_cal.get("threshold")
    if fmt == Format.json:
        out = json.dumps({"source": src_name, "text": txt_name, "consistency": p_doc,
                          "consistent": (p_doc >= thr) if thr is not None else None, "threshold": thr,
                          "claims": [_claim_json(c, src_in, txt_in) for c in checks]},
                         indent=2, ensure_ascii=False) + "\n"
    else:
        md = fmt == Format.markdown
        verdict = "" if thr is None else (" — consistent" if p_doc >= thr else " — NOT consistent") + f" at threshold {thr:.2f}"
        summary = f"P(consistent with the source) = {p_doc:.2f}{verdict}"
        lines = [f"# {txt_name} checked against {src_name}", "", f"**{summary}**", ""] if md else [summary]
        for c in checks:
            ev = c.best_support if c.verdict != "contradicted" else c.best_contradiction
            head = f"{c.verdict.upper():14s} support {c.support:.2f}  contradiction {c.contradiction:.2f}  {c.claim}"
            lines.append(f"- **{c.verdict}** (support {c.support:.2f}, contradiction {c.contradiction:.2f}): {c.claim}" if md else head)
            if ev is not None and c.verdict != "not in source":
                loc = src_in.locate(ev.start, ev.end)
                lines.append(f"    source {loc['file']} [{loc['start']}:{loc['end']}]: {ev.text[:300]}")
        out = "\n".join(lines) + "\n"
    if output:
        output.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)


def _claim_json(c, src: _Input, txt: _Input) -> dict:
    """A ClaimCheck with every span given as offsets in its original file."""
    at = txt.locate(c.start, c.end)
    return {"claim": c.claim, "sentence": c.sentence, "file": at["file"], "start": at["start"], "end": at["end"],
            "support": c.support, "contradiction": c.contradiction, "verdict": c.verdict,
            "best_support": _evidence(c.best_support, src), "best_contradiction": _evidence(c.best_contradiction, src),
            "signals": c.signals}
