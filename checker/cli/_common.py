"""Shared CLI plumbing: check inputs and the output path, run the pipeline, print problems,
write output atomically, exit code."""

from __future__ import annotations

import os
import sys
import tempfile
from enum import Enum
from pathlib import Path

import typer

from ..errors import E015_OUTPUT, SKIPPED_INPUT_WARNINGS, Problem, printable, show_path


class Format(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"
    html = "html"


def say(msg: str) -> None:
    """One line on stderr, control characters escaped (nothing from an input can forge a line)."""
    typer.echo(printable(msg), err=True)


def fail(msg: str, code: int = 2):
    say(msg)
    raise typer.Exit(code)


def check_output(output: Path | None) -> None:
    """Refuse, before any work is done, an --output path that cannot be written."""
    if output is None:
        return
    out = Path(output)
    parent = out.parent if str(out.parent) else Path(".")
    why = None
    if out.is_dir():
        why = "is a directory"
    elif not parent.is_dir():
        why = f"folder {show_path(parent)} does not exist"
    elif not os.access(parent, os.W_OK | os.X_OK):
        why = f"folder {show_path(parent)} is not writable"
    elif out.exists() and not os.access(out, os.W_OK):
        why = "file is not writable"
    if why:
        fail(f"error [{E015_OUTPUT}] cannot write --output {show_path(out)}: {why}")


def write_output(output: Path, text: str) -> None:
    """Write atomically: a temporary file in the same folder, then rename over the target.
    A failure leaves an existing file untouched (and no temporary file behind)."""
    out = Path(output)
    data = text.encode("utf-8", "backslashreplace")
    try:
        mode = out.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent if str(out.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, out)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            fail(f"error [{E015_OUTPUT}] cannot write --output {show_path(out)}: {exc.strerror or exc}")
        raise


def write_stdout(text: str, fmt: str) -> None:
    """Machine formats as UTF-8; terminal text in the terminal's encoding, unencodable
    characters escaped rather than crashing."""
    enc = "utf-8" if fmt != "text" else (getattr(sys.stdout, "encoding", None) or "utf-8")
    sys.stdout.flush()
    buf = getattr(sys.stdout, "buffer", None)
    if buf is None:  # e.g. a captured StringIO
        sys.stdout.write(text)
    else:
        buf.write(text.encode(enc, "backslashreplace"))
        buf.flush()


def check_reference(reference: Path | None) -> None:
    """A --reference that cannot be read is fatal (exit 2), before the models load: a run
    without the reference the user asked for would silently answer another question."""
    if reference is None:
        return
    from ..ingest import read_one

    _, problems = read_one(Path(reference), "reference")
    errors = [p for p in problems if p.level == "error"]
    if errors:
        for p in errors:
            say(f"{p} (--reference)")
        fail("error: the --reference file cannot be used; nothing was checked")


def run_and_render(paths, reference, kind, fmt, output, threshold, quiet) -> None:
    from .. import report
    from ..config import Config
    from ..pipeline import run

    check_output(output)
    check_reference(reference)
    result = run(paths, reference=reference, config=Config.default(progress=not quiet))
    for p in result.problems:
        say(str(p))
    articles = [d for d in result.documents if d.role == "article"]
    if not articles:
        fail("error: no usable article among the inputs")
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    text = report.render(result, kind, fmt.value, threshold, color=color)
    if output is None:
        write_stdout(text, fmt.value)
    else:
        write_output(output, text)
        say(f"wrote {show_path(output)}")
    failed = [p for p in result.problems if failed_input(p)]
    if failed:
        raise typer.Exit(1)


def failed_input(p: Problem) -> bool:
    """An input (or a record of one) that was not used: exit code 1."""
    return p.level == "error" or p.code in SKIPPED_INPUT_WARNINGS


PATHS = typer.Argument(..., help="Article files or directories. Folders are read recursively: .txt/.text, "
                       ".md/.markdown, .html/.htm and .jsonl/.ndjson files; hidden files and folders are skipped.")
REFERENCE = typer.Option(None, "--reference", "-r", help="Trusted reference file: one statement per line or sentence.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout (atomically: an existing "
                      "file is replaced only once the new one is complete).")
THRESHOLD = typer.Option(None, "--threshold", "-t", min=0.0, max=1.0,
                         help="Contradiction threshold (default: the calibrated one in checker/calibration.json).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress messages on stderr.")
