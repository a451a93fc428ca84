"""A string with a per-character map back to offsets in the original file."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class MappedText:
    text: str
    offsets: list[int]

    @classmethod
    def identity(cls, text: str, base: int = 0) -> "MappedText":
        return cls(text, list(range(base, base + len(text))))

    def __len__(self) -> int:
        return len(self.text)

    def slice(self, start: int, end: int) -> "MappedText":
        return MappedText(self.text[start:end], self.offsets[start:end])

    def __add__(self, other: "MappedText") -> "MappedText":
        return MappedText(self.text + other.text, self.offsets + other.offsets)

    def sub(self, pattern: str | re.Pattern, keep_group: int | None = None, flags: int = 0) -> "MappedText":
        """Delete every match of ``pattern`` (or keep only group ``keep_group`` of it)."""
        rx = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
        out_t: list[str] = []
        out_o: list[int] = []
        pos = 0
        for m in rx.finditer(self.text):
            out_t.append(self.text[pos : m.start()])
            out_o.extend(self.offsets[pos : m.start()])
            if keep_group is not None and m.group(keep_group) is not None:
                gs, ge = m.span(keep_group)
                out_t.append(self.text[gs:ge])
                out_o.extend(self.offsets[gs:ge])
            pos = m.end()
        out_t.append(self.text[pos:])
        out_o.extend(self.offsets[pos:])
        return MappedText("".join(out_t), out_o)


    def keep(self, spans) -> "MappedText":
        """Rewrite with ``spans``: sorted, non-overlapping ``(start, end, keep_start, keep_end)``;
        each ``[start, end)`` is replaced by its part ``[keep_start, keep_end)`` (empty to delete).
        Linear in the length of the text."""
        out_t: list[str] = []
        out_o: list[int] = []
        pos = 0
        for start, end, ks, ke in spans:
            out_t.append(self.text[pos:start])
            out_o.extend(self.offsets[pos:start])
            out_t.append(self.text[ks:ke])
            out_o.extend(self.offsets[ks:ke])
            pos = end
        out_t.append(self.text[pos:])
        out_o.extend(self.offsets[pos:])
        return MappedText("".join(out_t), out_o)


def join_blocks(blocks: list[MappedText]) -> MappedText:
    """Join paragraphs with a blank line; the separator maps to the end of the previous block.
    Linear: one pass, no intermediate strings or lists (was quadratic in the number of blocks)."""
    texts: list[str] = []
    offs: list[int] = []
    for b in blocks:
        if texts:
            sep_off = offs[-1] + 1 if offs else 0
            texts.append("\n\n")
            offs.extend((sep_off, sep_off))
        texts.append(b.text)
        offs.extend(b.offsets)
    return MappedText("".join(texts), offs)
