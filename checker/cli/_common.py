"""Shared CLI plumbing: run the pipeline, print problems, write output, exit code."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from ..errors import W101_JSONL_LINE, W102_JSONL_NO_TEXT


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"


def run_and_render(paths, reference, kind, fmt, output, threshold, quiet) -> None:
    from .. import report
    from ..config import Config
    from ..pipeline import run

    result = run(paths, reference=reference, config=Config.default(progress=not quiet))
    for p in result.problems:
        typer.echo(str(p), err=True)
    articles = [d for d in result.documents if d.role == "article"]
    if not articles:
        typer.echo("error: no usable article among the inputs", err=True)
        raise typer.Exit(2)
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    text = report.render(result, kind, fmt.value, threshold, color=color)
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    failed = [p for p in result.problems if p.level == "error" or p.code in (W101_JSONL_LINE, W102_JSONL_NO_TEXT)]
    if failed:
        raise typer.Exit(1)


PATHS = typer.Argument(..., help="Article files or directories (.txt, .md, .html, .jsonl).")
REFERENCE = typer.Option(None, "--reference", "-r", help="Trusted reference file: one statement per line or sentence.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.")
THRESHOLD = typer.Option(None, "--threshold", "-t", min=0.0, max=1.0,
                         help="Contradiction threshold (default: the calibrated one in checker/calibration.json).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress messages on stderr.")
