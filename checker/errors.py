"""Errors and warnings with stable codes (spaCy style: ``E0xx`` errors, ``W0xx`` warnings)."""

from __future__ import annotations

import re
from dataclasses import dataclass


class CheckerError(Exception):
    """An input problem tied to one file (or the NLI model named by ``--nli-model``). ``code``
    is stable; ``path`` names the file or model."""

    def __init__(self, code: str, path: str, message: str):
        self.code = code
        self.path = path
        self.message = message
        super().__init__(f"[{code}] {path}: {message}")


@dataclass(frozen=True)
class Problem:
    """A recorded error or warning about one input (the run goes on)."""

    level: str  # "error" | "warning"
    code: str
    path: str
    message: str

    def __str__(self) -> str:
        """One line, safe to print on a terminal: control characters escaped, the path shown so
        that a look-alike or bidi-reordered name cannot pass for another file."""
        return f"{self.level} [{self.code}] {show_path(self.path)}: {printable(self.message)}"


# Characters that change how a terminal or a bidi-aware viewer shows text: C0/C1 controls, DEL,
# bidi embeddings/overrides/isolates, marks, line/paragraph separators, zero-width characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
                     "\ud800-\udfff]")


def _esc(m: re.Match) -> str:
    c = m.group()
    if c in "\n\r\t":
        return " "
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def printable(s) -> str:
    """``s`` with every control/bidi/invisible character escaped visibly (``\\x1b``, ``\\u202e``);
    newlines and tabs become spaces, so one value can never forge another output line."""
    return _UNSAFE.sub(_esc, "" if s is None else str(s))


def show_path(s) -> str:
    """A file name or path as shown to people: as is when it is printable ASCII, otherwise
    Python's ``ascii()`` form (quoted, every non-ASCII character escaped), so that
    ``pаper.txt`` with a Cyrillic ``а`` or a name with U+202E cannot pass for another file."""
    s = "" if s is None else str(s)
    if s.isascii() and s.isprintable():
        return s
    return ascii(s)


# Error codes
E001_NOT_FOUND = "E001"  # path does not exist (a missing --reference file is fatal: exit 2)
E002_EMPTY = "E002"  # file is empty or has no text after boilerplate removal
E003_BINARY = "E003"  # file looks binary (NUL bytes / undecodable control bytes)
E004_ENCODING = "E004"  # not valid UTF-8 (and not a declared HTML charset)
E005_TOO_LARGE = "E005"  # file larger than Config.max_file_bytes
E006_UNSUPPORTED = "E006"  # unsupported extension
E007_JSONL_EMPTY = "E007"  # JSONL file without any usable record
E008_NOT_REGULAR = "E008"  # a FIFO, socket or device, not a regular file (never opened: reading could block)
E009_BROKEN_LINK = "E009"  # symbolic link whose target does not exist
E010_LINK_LOOP = "E010"  # symbolic link loop (or a linked directory already visited)
E011_PERMISSION = "E011"  # permission denied reading a file
E012_DIR_UNREADABLE = "E012"  # a directory (or subdirectory) that cannot be listed
E013_TOO_SLOW = "E013"  # file exceeded the per-file ingest time guard (Config-independent, see ingest.time_limit)
E014_READ_FAILED = "E014"  # unexpected failure while reading one file (the run goes on; please report it)
E015_OUTPUT = "E015"  # the --output path cannot be written (checked before the run)
E016_NLI_MODEL = "E016"  # --nli-model: no such folder, not a model folder, or a hub id that may not / could not be downloaded
E017_NLI_LABELS = "E017"  # --nli-model: its config.json id2label cannot be read as NLI labels (e.g. LABEL_0, LABEL_1, ...)
E018_NLI_LOAD = "E018"  # --nli-model: transformers could not load the model or its tokenizer from the folder
E019_RAY_MISSING = "E019"  # --ray: Ray (with Ray Data) is not installed: pip install "checker[ray]"
E020_RAY_CONNECT = "E020"  # --ray: no Ray cluster could be started or reached at the address, or its workers cannot run checker
E021_CLAIMS_FAILED = "E021"  # unexpected failure while extracting one document's claims (left out; the run goes on; please report it)
W101_JSONL_LINE = "W101"  # malformed JSONL line (skipped, reported)
W102_JSONL_NO_TEXT = "W102"  # JSONL record without a text field
W103_HTML_ACTIVE = "W103"  # HTML contained scripts/handlers (removed, never executed)
W104_NO_CLAIMS = "W104"  # document yielded no claims
W105_DECODED_FALLBACK = "W105"  # decoded with a declared non-UTF-8 charset (or a UTF-16/32 byte-order mark)
W106_JSONL_EMPTIED = "W106"  # JSONL record with no text left after boilerplate removal (skipped; exit 1)
W107_HTML_FALLBACK = "W107"  # HTML extractor failed or found nothing: visible text cleaned line by line instead
W108_REPLACED_CHARS = "W108"  # lone surrogate code points (from JSON escapes) replaced by U+FFFD
W109_UNCALIBRATED = "W109"  # the NLI model has no calibration (or lacks the part in use): raw probabilities, thresholds 0.5
W110_CALIBRATION_MISMATCH = "W110"  # a calibration fitted for other NLI weights was found (ignored) or is in use

# Problems that mean some input (or part of one) was not used: exit code 1
SKIPPED_INPUT_WARNINGS = frozenset({W101_JSONL_LINE, W102_JSONL_NO_TEXT, W106_JSONL_EMPTIED})
