"""Stage 1 — ingest: files and directories in, cleaned :class:`Document` records out.

Every problem becomes a :class:`~checker.errors.Problem` naming the file; the
other inputs are still processed.
"""

from __future__ import annotations

import json
import re
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


def expand(paths: list[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files given directly are always taken; directories contribute known extensions."""
    files, problems = [], []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in EXTENSIONS and not f.name.startswith("."):
                    files.append(f)
        elif p.is_file():
            files.append(p)
        else:
            problems.append(Problem("error", E.E001_NOT_FOUND, str(p), "no such file or directory"))
    return files, problems


def decode(path: Path, data: bytes, fmt: str) -> tuple[str, list[Problem]]:
    if not data.strip():
        raise CheckerError(E.E002_EMPTY, str(path), "file is empty")
    head = data[:8192]
    ctrl = sum(b < 9 or 13 < b < 32 for b in head)
    if b"\x00" in head or ctrl > len(head) * 0.05:
        raise CheckerError(E.E003_BINARY, str(path), "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        if fmt == "html":
            m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", head, re.IGNORECASE)
            if m:
                enc = m.group(1).decode("ascii")
                try:
                    return data.decode(enc), [Problem("warning", E.W105_DECODED_FALLBACK, str(path),
                                                      f"decoded with declared charset {enc}")]
                except (LookupError, UnicodeDecodeError):
                    pass
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
    (r"!\[[^\]]*\]\([^)]*\)", None),  # images
    (r"\[([^\]]+)\]\([^)]*\)", 1),  # links -> link text
    (r"(?m)^\s{0,3}#{1,6}\s+", None),  # heading markers
    (r"(?m)^\s{0,3}>\s?", None),  # blockquote markers
    (r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", 2),  # bold
    (r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\*)", 1),  # italic
    (r"`([^`\n]+)`", 1),  # inline code
    (r"(?m)^\s*([-*_]\s*){3,}$", None),  # rules
]


def clean_markdown(mt: MappedText) -> MappedText:
    for rx, grp in MD_RULES:
        mt = mt.sub(rx, keep_group=grp)
    return mt


def _document(name, path, role, fmt, raw, mt, removed, title=None, line=None) -> Document:
    if not mt.text.strip():
        raise CheckerError(E.E002_EMPTY, str(path), "no article text left after removing page boilerplate")
    return Document(name=name, path=str(path), role=role, fmt=fmt, raw=raw, text=mt.text,
                    offsets=tuple(mt.offsets), title=title, line=line, removed=tuple(removed))


def read_file(path: Path, role: str = "article", config: Config | None = None) -> tuple[list[Document], list[Problem]]:
    """Read one file. Raises :class:`CheckerError` for a file that cannot be used."""
    config = config or Config()
    fmt = EXTENSIONS.get(path.suffix.lower(), "txt" if role == "reference" else None)
    if fmt is None:
        raise CheckerError(E.E006_UNSUPPORTED, str(path),
                           f"unsupported file type {path.suffix!r} (use .txt, .md, .html or .jsonl)")
    size = path.stat().st_size
    if size > config.max_file_bytes:
        raise CheckerError(E.E005_TOO_LARGE, str(path),
                           f"{size:,} bytes is over the {config.max_file_bytes:,}-byte limit (Config.max_file_bytes)")
    raw, problems = decode(path, path.read_bytes(), fmt)
    name = path.name
    if fmt == "jsonl":
        return _read_jsonl(path, raw, role, problems)
    if fmt == "html":
        from .html import extract

        paras, title, notes = extract(raw)
        for n in notes:
            problems.append(Problem("warning", E.W103_HTML_ACTIVE, str(path), n))
        return [_document(name, path, role, fmt, raw, join_blocks(paras), [], title=title)], problems
    mt = MappedText.identity(raw)
    if fmt == "md":
        mt = clean_markdown(mt)
    if role == "reference":  # trusted statements: keep every line
        return [_document(name, path, role, fmt, raw, mt, [])], problems
    mt, removed = clean_plain(mt)
    return [_document(name, path, role, fmt, raw, mt, removed)], problems


def _read_jsonl(path: Path, raw: str, role: str, problems: list[Problem]):
    docs, seen = [], set()
    for ln, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem("warning", E.W101_JSONL_LINE, f"{path}:{ln}", f"malformed JSON ({exc.msg} at column {exc.colno}); line skipped"))
            continue
        if not isinstance(rec, dict):
            problems.append(Problem("warning", E.W101_JSONL_LINE, f"{path}:{ln}", "record is not a JSON object; line skipped"))
            continue
        text = next((rec[f] for f in TEXT_FIELDS if isinstance(rec.get(f), str) and rec[f].strip()), None)
        if text is None:
            problems.append(Problem("warning", E.W102_JSONL_NO_TEXT, f"{path}:{ln}",
                                    f"record has no text field (one of {', '.join(TEXT_FIELDS)}); line skipped"))
            continue
        rid = next((str(rec[f]) for f in ID_FIELDS if rec.get(f) not in (None, "")), None) or f"line{ln}"
        name = f"{path.name}#{rid}"
        if name in seen:
            name = f"{path.name}#line{ln}"
        seen.add(name)
        mt, removed = clean_plain(MappedText.identity(text)) if role == "article" else (MappedText.identity(text), [])
        title = rec.get("title") if isinstance(rec.get("title"), str) else None
        try:
            docs.append(enrich(_document(name, path, role, "jsonl", text, mt, removed, title=title, line=ln),
                               from_record(rec)))
        except CheckerError as exc:
            problems.append(Problem("warning", exc.code, f"{path}:{ln}", exc.message))
    if not docs:
        raise CheckerError(E.E007_JSONL_EMPTY, str(path), "no usable JSONL record (see warnings above)")
    return docs, problems


def load(paths: list[str | Path], role: str = "article", config: Config | None = None,
         skip: set[Path] = frozenset()) -> tuple[list[Document], list[Problem]]:
    """Read every input; a bad file becomes a Problem and the rest go on.
    Files in ``skip`` (e.g. the reference file inside the articles folder) are left out."""
    files, problems = expand(paths)
    files = [f for f in files if f.resolve() not in skip]
    docs: list[Document] = []
    for f in files:
        try:
            d, p = read_file(f, role, config)
            docs.extend(x if x.fmt == "jsonl" else enrich(x) for x in d)
            problems.extend(p)
        except CheckerError as exc:
            problems.append(Problem("error", exc.code, exc.path, exc.message))
        except OSError as exc:
            problems.append(Problem("error", E.E001_NOT_FOUND, str(f), f"cannot read: {exc.strerror}"))
    return docs, problems
