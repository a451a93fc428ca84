from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from . import app
from ._common import (ALLOW_DOWNLOAD, NLI_MODEL, OUTPUT, PATHS, QUIET, REFERENCE, THRESHOLD, Format,
                      run_or_read, ONE_STORY, STORE, STORY, OUTLET, SINCE, DATE_FROM, DATE_TO)
import typer


@app.command("report")
def report_cmd(paths: List[Path] = PATHS, reference: Optional[Path] = REFERENCE,
               fmt: Format = typer.Option(Format.text, "--format", "-f", help="text, markdown, json or html (self-contained page)."),
               output: Optional[Path] = OUTPUT, threshold: Optional[float] = THRESHOLD,
               quiet: bool = QUIET, nli_model: Optional[str] = NLI_MODEL,
               allow_download: bool = ALLOW_DOWNLOAD, store: Optional[Path] = STORE,
               story: Optional[int] = STORY, outlet: Optional[str] = OUTLET, since: Optional[str] = SINCE,
               date_from: Optional[str] = DATE_FROM, date_to: Optional[str] = DATE_TO,
               one_story: bool = ONE_STORY) -> None:
    """Per-article report: every claim with its status and the other side's evidence."""
    run_or_read(paths, reference, "report", fmt, output, threshold, quiet, nli_model, allow_download,
                store, story, outlet, since, date_from, date_to, one_story)
