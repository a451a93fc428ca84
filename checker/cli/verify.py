from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from . import app
from ._common import Format


def _read(arg: str, role: str) -> tuple[str, str]:
    """(name, cleaned text) of a file, or the argument itself as literal text."""
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
        return p.name, "\n\n".join(d.text for d in docs)
    if role == "source":
        typer.echo(f"error: source file {arg} not found", err=True)
        raise typer.Exit(2)
    return "<text>", arg


@app.command("verify")
def verify_cmd(source: str = typer.Argument(..., help="The trusted source document (.txt/.md/.html/.jsonl)."),
               claims: str = typer.Argument(..., help="A file with the text to check, or the text itself."),
               fmt: Format = typer.Option(Format.text, "--format", "-f", help="text, markdown or json."),
               output: Optional[Path] = typer.Option(None, "--output", "-o")) -> None:
    """Check each claim of a text against one source: supported / contradicted / not in source."""
    from ..verify import Verifier

    src_name, src = _read(source, "source")
    txt_name, text = _read(claims, "article")
    typer.echo("[checker] loading models and checking claims", err=True)
    v = Verifier()
    checks = v.check(src, text)
    p_doc = v.consistency([(src, text)])[0]
    thr = v.doc_cal.get("threshold")
    if fmt == Format.json:
        out = json.dumps({"source": src_name, "text": txt_name, "consistency": p_doc,
                          "consistent": (p_doc >= thr) if thr is not None else None, "threshold": thr,
                          "claims": [asdict(c) for c in checks]}, indent=2, ensure_ascii=False) + "\n"
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
                lines.append(f"    source [{ev.start}:{ev.end}]: {ev.text[:300]}")
        out = "\n".join(lines) + "\n"
    if output:
        output.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
