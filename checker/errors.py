"""Errors and warnings with stable codes (spaCy style: ``E0xx`` errors, ``W0xx`` warnings)."""

from __future__ import annotations

from dataclasses import dataclass


class CheckerError(Exception):
    """An input problem tied to one file. ``code`` is stable; ``path`` names the file."""

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
        return f"{self.level} [{self.code}] {self.path}: {self.message}"


# Error codes
E001_NOT_FOUND = "E001"  # path does not exist
E002_EMPTY = "E002"  # file is empty or has no text after boilerplate removal
E003_BINARY = "E003"  # file looks binary (NUL bytes / undecodable control bytes)
E004_ENCODING = "E004"  # not valid UTF-8 (and not a declared HTML charset)
E005_TOO_LARGE = "E005"  # file larger than Config.max_file_bytes
E006_UNSUPPORTED = "E006"  # unsupported extension
E007_JSONL_EMPTY = "E007"  # JSONL file without any usable record
W101_JSONL_LINE = "W101"  # malformed JSONL line (skipped, reported)
W102_JSONL_NO_TEXT = "W102"  # JSONL record without a text field
W103_HTML_ACTIVE = "W103"  # HTML contained scripts/handlers (removed, never executed)
W104_NO_CLAIMS = "W104"  # document yielded no claims
W105_DECODED_FALLBACK = "W105"  # decoded with a declared non-UTF-8 charset
