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


def write_output(output: Path, text) -> None:
    """Write ``text`` (a string, or an iterable of string pieces) atomically: a temporary file in
    the same folder, then rename over the target. A failure leaves an existing file untouched
    (and no temporary file behind)."""
    out = Path(output)
    pieces = [text] if isinstance(text, str) else text
    try:
        mode = out.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent if str(out.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            for piece in pieces:
                fh.write(piece.encode("utf-8", "backslashreplace"))
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


def write_stdout(text, fmt: str) -> None:
    """Write ``text`` (a string, or an iterable of string pieces): machine formats as UTF-8;
    terminal text in the terminal's encoding, unencodable characters escaped rather than crashing."""
    enc = "utf-8" if fmt != "text" else (getattr(sys.stdout, "encoding", None) or "utf-8")
    sys.stdout.flush()
    buf = getattr(sys.stdout, "buffer", None)
    for piece in [text] if isinstance(text, str) else text:
        if buf is None:  # e.g. a captured StringIO
            sys.stdout.write(piece)
        else:
            buf.write(piece.encode(enc, "backslashreplace"))
    if buf is not None:
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


def make_config(nli_model: str | None, allow_download: bool, **overrides):
    """``Config.default`` for the NLI model named on the command line (its own calibration);
    an unusable ``--nli-model`` stops the run with exit 2, before anything is read or loaded."""
    from ..config import Config
    from ..errors import CheckerError

    try:
        return Config.default(nli_model=nli_model, allow_download=allow_download, **overrides)
    except CheckerError as exc:
        fail(f"error [{exc.code}] --nli-model {show_path(exc.path)}: {exc.message}")


def run_and_render(paths, reference, kind, fmt, output, threshold, quiet, nli_model=None, allow_download=False,
                   one_story=False) -> None:
    from ..errors import CheckerError
    from ..pipeline import run

    check_output(output)
    check_reference(reference)
    config = make_config(nli_model, allow_download, progress=not quiet, one_story=one_story)
    try:
        result = run(paths, reference=reference, config=config)
    except CheckerError as exc:  # the model folder resolved but could not be loaded (E017/E018)
        fail(f"error [{exc.code}] --nli-model {show_path(exc.path)}: {exc.message}")
    for p in result.problems:
        say(str(p))
    articles = [d for d in result.documents if d.role == "article"]
    if not articles:
        fail("error: no usable article among the inputs")
    emit(result, kind, fmt, output, threshold)
    failed = [p for p in result.problems if failed_input(p)]
    if failed:
        raise typer.Exit(1)


def emit(result, kind, fmt, output, threshold) -> None:
    """Render the report and write it to stdout or, atomically, to ``output``."""
    from .. import report

    color = fmt == Format.text and output is None and sys.stdout.isatty()
    write_result(report.render(result, kind, fmt.value, threshold, color=color), fmt, output)


def write_result(text, fmt, output) -> None:
    """Write a rendered report (a string or string pieces) to stdout or, atomically, to ``output``."""
    if output is None:
        write_stdout(text, fmt.value)
    else:
        write_output(output, text)
        say(f"wrote {show_path(output)}")


def render_store(store, kind, fmt, output, threshold, filters: dict, nli_model=None, allow_download=False) -> None:
    """Render what a store holds (``checker contradictions/report --store``): no model is loaded.
    Text, Markdown and JSON are built one story at a time (:func:`checker.report.report_stream`);
    HTML from the whole selection at once."""
    from .. import report
    from ..store import SchemaError, load_result, open_store, story_results

    check_output(output)
    if not Path(store).is_file():
        fail(f"error: --store {show_path(store)}: no such store (create it with `checker add`)")
    config = make_config(nli_model, allow_download, progress=False)
    try:
        st = open_store(store)
    except SchemaError as exc:
        fail(f"error: --store {show_path(store)}: {exc}")
    try:
        if fmt == Format.html:
            result = load_result(st, config, **filters)
            found = any(d.role == "article" for d in result.documents)
        else:
            keys = report.REPORT_KEYS if kind == "report" else (
                ("contradictions", "articles", "clusters") if fmt == Format.json else ("contradictions",))
            parts = story_results(st, config, **filters)
            found = bool(st.select_documents(**filters))
            data = report.report_stream(parts, threshold, brief=kind == "contradictions", keys=keys)
    finally:
        st.close()
    if not found:
        say("no stored article matches" + (" the filters" if any(v is not None for v in filters.values()) else ""))
    if fmt == Format.html:
        emit(result, kind, fmt, output, threshold)
        return
    if fmt == Format.json:  # written piece by piece: a large store's JSON is never held whole
        write_result(report.json_chunks(report.json_view(data, kind)), fmt, output)
        return
    color = fmt == Format.text and output is None and sys.stdout.isatty()
    write_result(report.render_data(data, kind, fmt.value, color), fmt, output)


def store_filters(story, outlet, since, date_from, date_to) -> dict:
    """The --story/--outlet/--since/--from/--to options, checked (dates as ISO 8601)."""
    from datetime import date, datetime, timezone

    def iso_date(v, flag):
        if v is None:
            return None
        try:
            return date.fromisoformat(v).isoformat()
        except ValueError:
            fail(f"error: {flag} {v!r}: expected a date YYYY-MM-DD")

    if since is not None:
        try:
            t = datetime.fromisoformat(since)
        except ValueError:
            fail(f"error: --since {since!r}: expected a date or time in ISO 8601 (2024-05-01 or 2024-05-01T12:00)")
        since = (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat(timespec="microseconds")
    return dict(story=story, outlet=outlet, since=since, date_from=iso_date(date_from, "--from"),
                date_to=iso_date(date_to, "--to"))


def run_or_read(paths, reference, kind, fmt, output, threshold, quiet, nli_model, allow_download,
                store, story, outlet, since, date_from, date_to, one_story=False) -> None:
    """``checker contradictions/report``: a one-shot run over PATHS, or a read of --store."""
    filters = (story, outlet, since, date_from, date_to)
    if store is None:
        if any(v is not None for v in filters):
            fail("error: --story, --outlet, --since, --from and --to filter a store: give --store")
        if not paths:
            fail("error: give article files or directories, or --store")
        run_and_render(paths, reference, kind, fmt, output, threshold, quiet, nli_model, allow_download, one_story)
        return
    if paths:
        fail("error: give either article paths (a one-shot run) or --store (read a store), not both; "
             "add articles to a store with `checker add`")
    if reference is not None:
        fail("error: --reference is not supported with --store")
    if one_story:
        fail("error: --one-story applies to a one-shot run (a store groups articles into stories as they arrive)")
    render_store(store, kind, fmt, output, threshold, store_filters(*filters), nli_model, allow_download)


def failed_input(p: Problem) -> bool:
    """An input (or a record of one) that was not used: exit code 1."""
    return p.level == "error" or p.code in SKIPPED_INPUT_WARNINGS


PATHS = typer.Argument(None, show_default=False, help="Article files or directories (or none, with --store). Folders are read recursively: .txt/.text, "
                       ".md/.markdown, .html/.htm and .jsonl/.ndjson files; hidden files and folders are skipped.")
REFERENCE = typer.Option(None, "--reference", "-r", help="Trusted reference file: one statement per line or sentence.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout (atomically: an existing "
                      "file is replaced only once the new one is complete).")
THRESHOLD = typer.Option(None, "--threshold", "-t", min=0.0, max=1.0,
                         help="Contradiction threshold (default: the calibrated one of the NLI model in use; 0.5 without a calibration).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress messages on stderr.")
NLI_MODEL = typer.Option(None, "--nli-model", metavar="PATH_OR_ID",
                         help="NLI model to use: a local Hugging Face sequence-classification folder (labels read from "
                         "its config.json id2label), or a hub id such as cross-encoder/nli-deberta-v3-base (used from "
                         "the local Hugging Face cache; downloaded only with --allow-download). Its calibration is read "
                         "from <folder>/checker_calibration.json or $CHECKER_CALIBRATION_DIR/<sha256>.json (`checker "
                         "calibrate --nli-model`); without one, raw probabilities with a warning (W109). "
                         "Default: $CHECKER_NLI_MODEL, else the shipped model.")
ALLOW_DOWNLOAD = typer.Option(False, "--allow-download",
                              help="Allow fetching a --nli-model hub id from the Hugging Face Hub when it is not in "
                              "the local cache (also CHECKER_ALLOW_DOWNLOAD=1). Without it the checker never uses "
                              "the network.")
ONE_STORY = typer.Option(False, "--one-story", help="Every article is about the same story: compare them all with "
                         "each other (no story grouping; identical articles are still duplicates).")
STORE = typer.Option(None, "--store", "-s", help="Read this store (built by `checker add`) instead of running on PATHS.")
STORY = typer.Option(None, "--story", help="With --store: only this story (its id, as in the report).")
OUTLET = typer.Option(None, "--outlet", help="With --store: only articles of this outlet (case-insensitive).")
SINCE = typer.Option(None, "--since", help="With --store: only articles added to the store since this time (ISO 8601, UTC "
                     "unless it says otherwise).")
DATE_FROM = typer.Option(None, "--from", help="With --store: only articles published on or after this date (YYYY-MM-DD).")
DATE_TO = typer.Option(None, "--to", help="With --store: only articles published on or before this date (YYYY-MM-DD).")
