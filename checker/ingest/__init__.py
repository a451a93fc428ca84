"""Stage 1 — ingest: files and directories in, cleaned :class:`Document` records out.

Every problem becomes a :class:`~checker.errors.Problem` naming the file; the
other inputs are still processed.
"""

from __future__ import annotations

import bisect
import codecs
import errno
import gc
import json
import os
import re
import signal
import stat
import threading
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from .. import errors as E
from ..config import Config
from ..errors import CheckerError, Problem
from ..records import Document
from .boilerplate import classify_lines
from .meta import enrich, from_record
from .textmap import MappedText, join_blocks

EXTENSIONS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
              ".html": "html", ".htm": "html", ".jsonl": "jsonl", ".ndjson": "jsonl"}
TEXT_FIELDS = ("text", "body", "content", "article", "maintext")
ID_FIELDS = ("id", "url", "name", "title")


# Per-file time guard (seconds): generous for real pages, bounds pathological markup.
TIME_LIMIT_BASE_S = 15.0
TIME_LIMIT_PER_MB_S = 5.0


def _time_budget(size: int) -> float:
    return TIME_LIMIT_BASE_S + TIME_LIMIT_PER_MB_S * size / 1e6


@contextmanager
def time_limit(seconds: float, path: str):
    """Raise CheckerError(E013) in this thread if the block runs longer than ``seconds``.
    Uses SIGALRM, so it is only armed in the main thread of a Unix process (elsewhere ingest
    still runs, relying on its linear-time readers)."""
    usable = (hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
              and seconds > 0)
    if not usable:
        yield
        return

    def _expired(signum, frame):
        raise CheckerError(E.E013_TOO_SLOW, path,
                           f"gave up after {seconds:.0f} s (per-file ingest time guard): the markup is "
                           "pathological (e.g. thousands of unclosed tags or emphasis markers)")

    old_handler = signal.signal(signal.SIGALRM, _expired)
    old_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_timer[0] > 0:  # someone else's timer: re-arm what was left of it
            signal.setitimer(signal.ITIMER_REAL, *old_timer)


def os_problem(exc: OSError, path, *, directory: bool = False, link: bool = False) -> Problem:
    """An OSError about one path as a coded Problem (the right code for each cause)."""
    why = exc.strerror or type(exc).__name__
    if exc.errno == errno.ELOOP:
        return Problem("error", E.E010_LINK_LOOP, str(path), "symbolic link loop; skipped")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if link:
            return Problem("error", E.E009_BROKEN_LINK, str(path), "symbolic link to a missing target; skipped")
        return Problem("error", E.E001_NOT_FOUND, str(path), "no such file or directory")
    if exc.errno in (errno.EACCES, errno.EPERM):
        if directory:
            return Problem("error", E.E012_DIR_UNREADABLE, str(path), "permission denied: cannot list this directory; skipped")
        return Problem("error", E.E011_PERMISSION, str(path), "permission denied; skipped")
    if directory:
        return Problem("error", E.E012_DIR_UNREADABLE, str(path), f"cannot list this directory ({why}); skipped")
    return Problem("error", E.E014_READ_FAILED, str(path), f"cannot read ({why}); skipped")


def _is_link(p: Path) -> bool:
    try:
        return p.is_symlink()
    except OSError:
        return False


def _not_regular(path, st) -> Problem:
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
    return Problem("error", E.E008_NOT_REGULAR, str(path), f"{kind}, not a regular file; skipped (never opened)")


def expand(paths: list[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files given directly are always taken; directories contribute files with a known
    extension (:data:`EXTENSIONS`), recursively, following symbolic links, skipping hidden
    files and folders (names starting with "."). Everything that cannot be used is a Problem
    with its own code: missing (E001), FIFO/socket/device (E008), dangling link (E009), link
    loop (E010), unreadable directory (E012). Files come back sorted and without duplicates, so
    the result does not depend on the order of ``paths``."""
    files: dict[tuple[int, int], Path] = {}
    problems: list[Problem] = []
    visited: set[tuple[int, int]] = set()

    def stat_of(p: Path):
        """``p.stat()``, or None with the coded problem recorded (dangling link, loop, denied)."""
        try:
            return p.stat()
        except OSError as exc:
            problems.append(os_problem(exc, p, link=_is_link(p)))
            return None

    def add(p: Path, st) -> None:
        key = (st.st_dev, st.st_ino)
        if key not in files or str(p) < str(files[key]):
            files[key] = p

    for p in map(Path, paths):
        st = stat_of(p)
        if st is None:
            continue
        if stat.S_ISREG(st.st_mode):
            add(p, st)
            continue
        if not stat.S_ISDIR(st.st_mode):
            problems.append(_not_regular(p, st))
            continue
        stack = [(p, st)]
        while stack:
            d, dst = stack.pop()
            if (dst.st_dev, dst.st_ino) in visited:
                if _is_link(d):
                    problems.append(Problem("error", E.E010_LINK_LOOP, str(d),
                                            "symbolic link back to a folder already read (loop); skipped"))
                continue
            visited.add((dst.st_dev, dst.st_ino))
            try:
                with os.scandir(d) as it:
                    entries = sorted((e.name for e in it), reverse=True)
            except OSError as exc:
                problems.append(os_problem(exc, d, directory=True))
                continue
            for name in entries:
                if name.startswith("."):
                    continue
                f = d / name
                fst = stat_of(f)
                if fst is None:
                    continue
                if stat.S_ISDIR(fst.st_mode):
                    stack.append((f, fst))
                elif f.suffix.lower() not in EXTENSIONS:
                    continue
                elif stat.S_ISREG(fst.st_mode):
                    add(f, fst)
                else:
                    problems.append(_not_regular(f, fst))
    problems.sort(key=lambda pr: (pr.path, pr.code))
    return sorted(files.values(), key=str), problems


BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(s: str) -> tuple[str, int]:
    """Lone surrogates (only JSON escapes like "\\ud800" can make them) cannot be encoded or
    parsed: each becomes U+FFFD, one character for one, so offsets are unchanged."""
    return _SURROGATE.subn("\ufffd", s)


def _text_codec(enc: str) -> bool:
    try:
        info = codecs.lookup(enc)
    except (LookupError, ValueError, TypeError):
        return False
    return getattr(info, "_is_text_encoding", True) and info.name not in ("undefined",)


def decode(path: Path, data: bytes, fmt: str) -> tuple[str, list[Problem]]:
    if not data.strip():
        raise CheckerError(E.E002_EMPTY, str(path), "file is empty")
    for bom, enc in BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeError as exc:
                raise CheckerError(E.E004_ENCODING, str(path), f"starts with a {enc.upper()} byte-order mark but is not "
                                   f"valid {enc.upper()} ({exc.reason}); re-save the file as UTF-8") from None
            if not text.strip():
                raise CheckerError(E.E002_EMPTY, str(path), "file is empty")
            notes = [] if enc == "utf-8-sig" else [Problem("warning", E.W105_DECODED_FALLBACK, str(path),
                                                           f"decoded as {enc.upper()} (byte-order mark)")]
            return text, notes
    head = data[:8192]
    ctrl = sum(b < 9 or 13 < b < 32 for b in head)
    if b"\x00" in head or ctrl > len(head) * 0.05:
        raise CheckerError(E.E003_BINARY, str(path), "looks like a binary file, not text")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        if fmt == "html":
            m = re.search(rb"<meta[^>]{0,500}?charset=[\"']?([A-Za-z0-9_\-]{1,40})", head, re.IGNORECASE)
            if m:
                enc = m.group(1).decode("ascii")
                if _text_codec(enc):
                    try:
                        text = data.decode(enc)
                    except Exception:  # any codec failure: report as not valid UTF-8 below
                        pass
                    else:
                        text, n = replace_surrogates(text)
                        return text, [Problem("warning", E.W105_DECODED_FALLBACK, str(path),
                                              f"decoded with declared charset {enc}")]
        raise CheckerError(E.E004_ENCODING, str(path),
                           f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                           "re-save the file as UTF-8") from None


def _paragraphs(mt: MappedText) -> list[MappedText]:
    out, start = [], 0
    for m in re.finditer(r"\n", mt.text + "\n"):
        line = mt.slice(start, m.start())
        out.append(line)
        start = m.end()
    return out


def clean_plain(mt: MappedText) -> tuple[MappedText, list[tuple[int, int, str]]]:
    """Line-level boilerplate removal; returns kept text and removed raw spans."""
    lines = _paragraphs(mt)
    verdicts = classify_lines([ln.text for ln in lines])
    kept, removed = [], []
    for ln, why in zip(lines, verdicts):
        stripped = ln.text.strip()
        if not stripped:
            continue
        lead = len(ln.text) - len(ln.text.lstrip())
        ln = ln.slice(lead, lead + len(stripped))
        if why is None:
            kept.append(ln)
        else:
            removed.append((ln.offsets[0], ln.offsets[-1] + 1, why))
    return join_blocks(kept), removed


MD_RULES = [
    # Linear-time rules: no character class can run past the next bracket/paren/newline that
    # would end it, so "[[[[..." or "![![..." cost O(n), not O(n^2). Bold is matched by
    # :func:`_bold_spans` (a regex for it backtracks quadratically on "**a **a **a ...").
    (r"!\[[^\[\]]*\]\([^()]*\)", None),  # images
    (r"\[([^\[\]]+)\]\([^()]*\)", 1),  # links -> link text
    (r"(?m)^[ \t]{0,3}#{1,6}[ \t]+", None),  # heading markers
    (r"(?m)^[ \t]{0,3}>[ \t]?", None),  # blockquote markers
    ("bold", 2),  # (\*\*|__)(?=\S)(.+?)(?<=\S)\1, in linear time
    (r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\*)", 1),  # italic
    (r"`([^`\n]+)`", 1),  # inline code
    (r"(?m)^[ \t]*(?:[-*_][ \t]*){3,}$", None),  # rules
]


def _bold_spans(text: str) -> list[tuple[int, int, int, int]]:
    r"""What ``(\*\*|__)(?=\S)(.+?)(?<=\S)\1`` would match (leftmost, shortest, within one
    line), found with sorted candidate lists and bisection: O(n log n) for any input."""
    closers = {d: [m.start() for m in re.finditer(f"(?<=\\S)(?={re.escape(d)})", text)] for d in ("**", "__")}
    newlines = [m.start() for m in re.finditer("\n", text)]
    spans, pos = [], 0
    for m in re.finditer(r"(?=(\*\*|__)\S)", text):
        i = m.start()
        if i < pos:
            continue
        d = m.group(1)
        c = closers[d]
        j = bisect.bisect_left(c, i + 3)
        if j == len(c):
            continue
        k = bisect.bisect_left(newlines, i)
        line_end = newlines[k] if k < len(newlines) else len(text)
        if c[j] + 2 > line_end:
            continue
        spans.append((i, c[j] + 2, i + 2, c[j]))
        pos = c[j] + 2
    return spans


def clean_markdown(mt: MappedText) -> MappedText:
    for rx, grp in MD_RULES:
        mt = mt.keep(_bold_spans(mt.text)) if rx == "bold" else mt.sub(rx, keep_group=grp)
    return mt


def _document(name, path, role, fmt, raw, mt, removed, title=None, line=None) -> Document:
    if not mt.text.strip():
        raise CheckerError(E.E002_EMPTY, str(path), "no article text left after removing page boilerplate")
    return Document(name=name, path=str(path), role=role, fmt=fmt, raw=raw, text=mt.text,
                    offsets=tuple(mt.offsets), title=title, line=line, removed=tuple(removed))


def read_file(path: Path, role: str = "article", config: Config | None = None) -> tuple[list[Document], list[Problem]]:
    """Read one file. Raises :class:`CheckerError` for a file that cannot be used (any other
    exception is a bug; :func:`load` still turns it into a coded problem for this file)."""
    config = config or Config()
    path = Path(path)
    fmt = EXTENSIONS.get(path.suffix.lower(), "txt" if role == "reference" else None)
    if fmt is None:
        raise CheckerError(E.E006_UNSUPPORTED, str(path),
                           f"unsupported file type {path.suffix!r} (use .txt, .md, .html or .jsonl)")
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        p = _not_regular(path, st)
        raise CheckerError(p.code, p.path, p.message)
    size = st.st_size
    if size > config.max_file_bytes:
        raise CheckerError(E.E005_TOO_LARGE, str(path),
                           f"{size:,} bytes is over the {config.max_file_bytes:,}-byte limit (Config.max_file_bytes)")
    with time_limit(_time_budget(size), str(path)), gc_paused():
        return _read(path, role, fmt)


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while one file is read. Ingest allocates a few
    objects per line and per character map, and each full collection walks every live one,
    including the multi-million-entry offset lists: the collector took a third of the time of a
    20 MB text file and made the seconds per MB grow with the size (0.23 s/MB at 1 MB, 0.32 at
    20 MB; 0.16 and 0.20 paused). Reading builds no reference cycles worth collecting mid-file;
    the collector resumes (and catches up) as soon as the file is done, whatever happened."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(path: Path, role: str, fmt: str) -> tuple[list[Document], list[Problem]]:
    with open(path, "rb") as fh:
        data = fh.read()
    raw, problems = decode(path, data, fmt)
    name = path.name
    if fmt == "jsonl":
        return _read_jsonl(path, raw, role, problems)
    if fmt == "html":
        from .html import extract, visible_text

        paras, title, notes = extract(raw)
        for code, n in notes:
            problems.append(Problem("warning", code, str(path), n))
        if paras is None:  # extractor failed or found nothing: visible text, cleaned line by line
            mt, removed = clean_plain(visible_text(raw))
            return [_document(name, path, role, fmt, raw, mt, removed, title=title)], problems
        return [_document(name, path, role, fmt, raw, join_blocks(paras), [], title=title)], problems
    mt = MappedText.identity(raw)
    if fmt == "md":
        mt = clean_markdown(mt)
    if role == "reference":  # trusted statements: keep every line
        return [_document(name, path, role, fmt, raw, mt, [])], problems
    mt, removed = clean_plain(mt)
    return [_document(name, path, role, fmt, raw, mt, removed)], problems


_MAX_INT_DIGITS = 4000


def _parse_int(s: str):
    """JSON integers: Python refuses to convert more than 4,300 digits; keep such a number as
    its digit string instead of failing the record."""
    return int(s) if len(s) <= _MAX_INT_DIGITS else s


def _records(raw: str):
    """(line number, line) for each line of a JSONL file. Only "\\n" ends a record (JSON
    strings cannot hold a raw newline, but may hold raw U+2028, U+0085, form feeds ..., which
    str.splitlines() would wrongly split on)."""
    for ln, line in enumerate(raw.split("\n"), 1):
        yield ln, line.removesuffix("\r")


def _read_jsonl(path: Path, raw: str, role: str, problems: list[Problem]):
    docs, seen = [], set()
    for ln, line in _records(raw):
        if not line.strip():
            continue
        try:
            rec = json.loads(line, parse_int=_parse_int)
        except json.JSONDecodeError as exc:
            problems.append(Problem("warning", E.W101_JSONL_LINE, f"{path}:{ln}", f"malformed JSON ({exc.msg} at column {exc.colno}); line skipped"))
            continue
        except RecursionError:
            problems.append(Problem("warning", E.W101_JSONL_LINE, f"{path}:{ln}", "JSON nested too deeply; line skipped"))
            continue
        except ValueError as exc:  # e.g. a float Python cannot represent
            problems.append(Problem("warning", E.W101_JSONL_LINE, f"{path}:{ln}", f"unreadable JSON value ({str(exc)[:80]}); line skipped"))
            continue
        if not isinstance(rec, dict):
            problems.append(Problem("warning", E.W101_JSONL_LINE, f"{path}:{ln}", "record is not a JSON object; line skipped"))
            continue
        text = next((rec[f] for f in TEXT_FIELDS if isinstance(rec.get(f), str) and rec[f].strip()), None)
        if text is None:
            problems.append(Problem("warning", E.W102_JSONL_NO_TEXT, f"{path}:{ln}",
                                    f"record has no text field (one of {', '.join(TEXT_FIELDS)}); line skipped"))
            continue
        text, n_bad = replace_surrogates(text)
        rid = next((str(rec[f]) for f in ID_FIELDS if isinstance(rec.get(f), (str, int, float)) and rec.get(f) != ""), None)
        rid = replace_surrogates(rid)[0][:200] if rid is not None else f"line{ln}"
        name = f"{path.name}#{rid}"
        if name in seen:
            name = f"{path.name}#line{ln}"
        seen.add(name)
        mt, removed = clean_plain(MappedText.identity(text)) if role == "article" else (MappedText.identity(text), [])
        title = rec.get("title") if isinstance(rec.get("title"), str) else None
        if title is not None:
            title, n = replace_surrogates(title)
            n_bad += n
        if n_bad:
            problems.append(Problem("warning", E.W108_REPLACED_CHARS, f"{path}:{ln}",
                                    f"{n_bad} lone surrogate escape(s) replaced by U+FFFD"))
        try:
            docs.append(enrich(_document(name, path, role, "jsonl", text, mt, removed, title=title, line=ln),
                               from_record(rec)))
        except CheckerError as exc:
            code = E.W106_JSONL_EMPTIED if exc.code == E.E002_EMPTY else exc.code
            problems.append(Problem("warning", code, f"{path}:{ln}", exc.message + "; record skipped"))
    if not docs:
        raise CheckerError(E.E007_JSONL_EMPTY, str(path), "no usable JSONL record (see warnings above)")
    return docs, problems


def read_one(path: Path, role: str = "article", config: Config | None = None) -> tuple[list[Document], list[Problem]]:
    """:func:`read_file` that never raises: any failure is a coded Problem naming the file."""
    try:
        return read_file(path, role, config)
    except CheckerError as exc:
        return [], [Problem("error", exc.code, exc.path, exc.message)]
    except OSError as exc:
        return [], [os_problem(exc, path)]
    except RecursionError:
        return [], [Problem("error", E.E014_READ_FAILED, str(path), "input nested too deeply to read; skipped")]
    except MemoryError:
        return [], [Problem("error", E.E014_READ_FAILED, str(path), "out of memory while reading; skipped")]
    except Exception as exc:  # noqa: BLE001 - the boundary: one bad file never ends the run
        return [], [Problem("error", E.E014_READ_FAILED, str(path),
                            f"unexpected {type(exc).__name__} while reading ({str(exc)[:120]}); skipped")]


def load(paths: list[str | Path], role: str = "article", config: Config | None = None,
         skip: set[Path] = frozenset()) -> tuple[list[Document], list[Problem]]:
    """Read every input; a bad file becomes a Problem and the rest go on.
    Files in ``skip`` (e.g. the reference file inside the articles folder) are left out.
    Documents come back in sorted path order with unique names, so the result does not depend
    on the order of ``paths``."""
    files, problems = expand(paths)

    def resolved(f: Path):
        try:
            return f.resolve()
        except (OSError, RuntimeError):
            return f

    files = [f for f in files if resolved(f) not in skip]
    docs: list[Document] = []
    names: set[str] = set()
    for f in files:
        d, p = read_one(f, role, config)
        problems.extend(p)
        for doc in d:
            doc = doc if doc.fmt == "jsonl" else enrich(doc)
            if doc.name in names:  # same file name in two folders: use the path as given
                base, k = str(f) + doc.name[len(f.name):], 2
                doc = replace(doc, name=base)
                while doc.name in names:
                    doc = replace(doc, name=f"{base}~{k}")
                    k += 1
            names.add(doc.name)
            docs.append(doc)
    return docs, problems
