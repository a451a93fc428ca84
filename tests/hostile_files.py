"""Every hostile input of issue 10, written into a folder (FIFOs and links cannot live in git).

``HOSTILE`` maps a file name to (expected code or None when the file must be read, what is
expected of it). ``make_hostile(folder)`` writes them all and returns the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

GOOD = "The minister met the envoy in Beijing on Monday to discuss trade and security cooperation."

# name -> bytes
FILES: dict[str, bytes] = {
    # JSONL crashes: a 5,000-digit number, "[" nested 2,000 deep, lone surrogate escapes (also in the title)
    "bignum.jsonl": ('{"id": 7, "n": %s, "text": "%s"}\n' % ("1" * 5000, GOOD)).encode(),
    "deep.jsonl": ("[" * 2000 + "\n" + '{"id": "ok", "text": "%s"}\n' % GOOD).encode(),
    "surrogate.jsonl": ('{"id": "s\\ud800", "title": "Title \\udc00", "text": "%s \\ud800 end."}\n' % GOOD).encode(),
    # a raw U+2028 inside a record must not split it
    "u2028.jsonl": ('{"id": "sep", "text": "%s\u2028The envoy replied that the talks were useful, officials said."}\n'
                    % GOOD).encode("utf-8"),
    # a record that boilerplate removal empties
    "emptied.jsonl": ('{"id": "menu", "text": "Menu"}\n{"id": "real", "text": "%s"}\n' % GOOD).encode(),
    # HTML: undefined charset + non-UTF-8 byte; Python parser assertion; lxml assertion; 300-deep nesting
    "charset.html": b'<html><head><meta charset="undefined"></head><body><p>Caf\xe9 ' + GOOD.encode() + b"</p></body></html>",
    "marked.html": ("<![b\\`<p>" + GOOD + "</p>").encode(),
    "svg.html": ("<svg x=1><title /><h1>" + GOOD).encode(),
    "nested.html": ("<html><body>" + "<div>" * 300 + "<p>" + GOOD + " " + GOOD + "</p>" + "</div>" * 300
                    + "</body></html>").encode(),
    # UTF-16/32 with a byte-order mark are text, not binary
    "utf16.txt": (GOOD + "\n").encode("utf-16"),
    "utf32.md": (GOOD + "\n").encode("utf-32"),
    # time bombs: 24 KB of "<a ", 32 KB of "**a ", brackets
    "lt_a.html": b"<a " * 8000,
    "bold.md": b"**a " * 8000 + b"\n" + GOOD.encode(),
    "brackets.md": b"[" * 20000 + b"![" * 5000 + b"](" * 5000 + b"\n" + GOOD.encode(),
    # over spaCy's max_length in one paragraph / one line (cheap to parse: few, long tokens)
    "long_line.txt": (("x" * 999 + " ") * 1200 + ".").encode(),
    # control characters and markup in the text; names that look like other files
    "ansi.txt": ("\x1b]0;pwned\x07\x1b[2J" + GOOD + " <script>alert(1)</script> ![x](http://evil/x.png)\n").encode(),
    "\u202etxt.evil.md": (GOOD + "\n").encode(),
    "p\u0430per.txt": (GOOD + "\n").encode(),  # Cyrillic a
    "nl\nerror [E000] forged.txt": (GOOD + "\n").encode(),
    "empty.txt": b"",
    "binary.txt": bytes(range(256)) * 4,
}

# name -> code expected for it (files not listed here must be read into at least one document)
EXPECT_CODE = {
    "deep.jsonl": "W101",
    "surrogate.jsonl": "W108",
    "emptied.jsonl": "W106",
    "charset.html": "E004",
    "nested.html": "W107",
    "utf16.txt": "W105",
    "utf32.md": "W105",
    "empty.txt": "E002",
    "binary.txt": "E003",
    "brackets.md": None,  # read or E002: either way a coded outcome, checked by the fuzz invariants
    "svg.html": None,
    "lt_a.html": None,
    "fifo.txt": "E008",
    "dangling.txt": "E009",
    "loop_a.txt": "E010",
    "loop_b.txt": "E010",
    "locked": "E012",
}
BAD_INPUTS = {"charset.html": "E004", "empty.txt": "E002", "binary.txt": "E003", "fifo.txt": "E008",
              "dangling.txt": "E009", "loop_a.txt": "E010", "locked": "E012"}


def make_hostile(folder: Path, unreadable_dir: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "fifo.txt")
    os.symlink(folder / "missing-target.txt", folder / "dangling.txt")
    os.symlink(folder / "loop_b.txt", folder / "loop_a.txt")
    os.symlink(folder / "loop_a.txt", folder / "loop_b.txt")
    os.symlink(folder, folder / "again")  # a folder linked back to itself
    (folder / ".hidden.txt").write_text(GOOD)  # hidden: skipped without a word, as documented
    if unreadable_dir:
        locked = folder / "locked"
        locked.mkdir()
        (locked / "inside.txt").write_text(GOOD)
        os.chmod(locked, 0)
    return folder


def unlock(folder: Path) -> None:
    if (folder / "locked").exists():
        os.chmod(folder / "locked", 0o755)
