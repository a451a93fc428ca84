"""Text normalisation for comparing statements: mojibake repaired (ftfy), Unicode NFKC,
invisible and control characters removed, quotes and dashes unified, whitespace folded."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

from rapidfuzz.distance import Indel

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
                         "–": "-", "—": "-", "‒": "-", "―": "-", "\u00a0": " "})


def normalize(s: str) -> str:
    try:
        import ftfy

        s = ftfy.fix_text(s)
    except ImportError:  # pragma: no cover - ftfy is a dependency
        pass
    s = unicodedata.normalize("NFKC", s).translate(_QUOTES)
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Cf", "Cc", "Co", "Cs") or ch in "\n\t ")
    return re.sub(r"\s+", " ", s).strip()


@lru_cache(maxsize=1 << 16)
def statement_key(s: str) -> str:
    """What two statements must share to count as the same text: case, punctuation and
    spacing do not matter. Cached (~60 µs each, mostly ftfy): the comparison asks for the key of
    each side of every candidate pair several times."""
    return " ".join(re.findall(r"\w+", normalize(s).lower()))


def same_statement(a: str, b: str, min_ratio: float = 0.95) -> bool:
    """The same statement, up to encoding damage, punctuation, case or a stray word: the keys
    match, or (keys of 20+ characters) difflib's ratio reaches ``min_ratio``.

    difflib's ratio is 2M/(|a|+|b|), M the characters of its matching blocks; those blocks are a
    common subsequence, so M <= the longest common subsequence and the ratio <= RapidFuzz's Indel
    similarity 2 LCS/(|a|+|b|). Pairs under ``min_ratio`` by that bound (nearly all: ~0.1 ms in C
    against ~1 ms in difflib) are turned down without difflib, with the same answers."""
    ka, kb = statement_key(a), statement_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    if min(len(ka), len(kb)) < 20:
        return False
    if not Indel.normalized_similarity(ka, kb, score_cutoff=min_ratio):
        return False
    return SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= min_ratio
