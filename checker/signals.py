"""Deterministic mismatch signals between two claims that otherwise align.

A small NLI model misses entity swaps ("International Court of Justice" vs
"International Criminal Court" looks entailed). These signals look for a
*swap*: each side mentions something of the same kind (an organisation, a
number, a year, ...) that the other side does not, or one side is negated and
the other is not. They are combined with the NLI probabilities by the
calibrated combiner in :mod:`checker.compare`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .records import Signal

NAME_TYPES = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT")
PLACE_LIKE = ("GPE", "NORP", "LOC")
NUMBER_TYPES = ("CARDINAL", "MONEY", "PERCENT", "QUANTITY", "ORDINAL")
NEGATIONS = {"not", "n't", "no", "never", "nobody", "nothing", "none", "neither", "nor", "without"}
NEG_VERBS = {"deny", "refuse", "reject", "fail"}
MONTHS = ("january february march april may june july august september october november december").split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
CONTENT_POS = {"NOUN", "PROPN", "VERB", "ADJ", "NUM"}
GENERIC = {"say", "tell", "be", "have", "do", "also", "report", "add", "state"}
STOP = {"the", "of", "a", "an", "and", "'s", "’s", "for", "on", "in"}
WORDNUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
           "thousand": 1000, "million": 1e6, "billion": 1e9, "dozen": 12, "first": 1, "second": 2,
           "third": 3}


@dataclass(frozen=True)
class ClaimFacts:
    text: str
    names: dict  # type -> list[str]
    numbers: frozenset
    years: frozenset
    months: frozenset
    weekdays: frozenset
    negated: bool
    content: frozenset = frozenset()  # content-word lemmas (nouns, proper nouns, verbs, adjectives, numbers)
    slots: dict = field(default_factory=dict)  # entity text -> lemma of the word it depends on (its "slot")


def _norm(s: str) -> str:
    s = re.sub(r"[’']s\b", "", s.lower())
    return " ".join(w for w in re.findall(r"[\w-]+", s) if w not in STOP)


def _acronym(s: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Z][\w-]*", s) if w.lower() not in STOP)


def _num_values(text: str) -> set:
    vals = set()
    for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", text):
        try:
            vals.add(float(m.group().replace(",", "")))
        except ValueError:
            pass
    for w in re.findall(r"[a-z]+", text.lower()):
        if w in WORDNUM:
            vals.add(float(WORDNUM[w]))
    return vals


CLIMB = {"pobj", "prep", "agent", "poss", "compound", "case", "appos", "conj", "cc"}


def slot(span) -> str:
    """The word an entity mention fills a slot of: "issued by the ICC" and "the ICC issued"
    both give "issue"; "Russia's minister met" gives "meet", "China's minister is" gives "be"."""
    t = span.root
    while t.dep_ in CLIMB and t.head != t:
        t = t.head
    return (t.head if t.head != t and t.dep_ not in ("ROOT",) else t).lemma_.lower()


def facts(doc) -> ClaimFacts:
    """Extract comparable facts from a spaCy Doc of one claim."""
    names: dict[str, list[str]] = {}
    slots: dict[str, str] = {}
    numbers, years, months, weekdays = set(), set(), set(), set()
    for e in doc.ents:
        if e.label_ in NAME_TYPES:
            names.setdefault(e.label_, []).append(e.text)
            slots.setdefault(e.text, slot(e))
        elif e.label_ in NUMBER_TYPES:
            numbers |= _num_values(e.text)
        elif e.label_ in ("DATE", "TIME"):
            low = e.text.lower()
            years |= {int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", low)}
            months |= {m for m in MONTHS if re.search(rf"\b{m}\b", low)}
            weekdays |= {d for d in WEEKDAYS if d in low}
    negated = any(t.dep_ == "neg" or t.lower_ in NEGATIONS or t.lemma_ in NEG_VERBS for t in doc)
    content = frozenset(t.lemma_.lower() for t in doc
                        if t.pos_ in CONTENT_POS and not t.is_stop and t.lemma_.lower() not in GENERIC)
    return ClaimFacts(doc.text, names, frozenset(numbers), frozenset(years), frozenset(months),
                      frozenset(weekdays), negated, content, slots)


def aligned(a: ClaimFacts, b: ClaimFacts, sim: float, min_overlap: float = 0.6, min_shared: int = 2,
            paraphrase_sim: float = 0.85) -> bool:
    """Do two claims talk about the same fact? They share at least ``min_shared`` content
    words making up ``min_overlap`` of the shorter claim's content words, or they are
    near-paraphrases (cosine >= ``paraphrase_sim``). Only aligned pairs are judged."""
    if sim >= paraphrase_sim:
        return True
    return len(a.content & b.content) >= min_shared and overlap(a, b) >= min_overlap


def overlap(a: ClaimFacts, b: ClaimFacts) -> float:
    """Share of the shorter claim's content words found in the other (0..1)."""
    if not a.content or not b.content:
        return 0.0
    return len(a.content & b.content) / min(len(a.content), len(b.content))


def _same_name(a: str, b: str) -> bool:
    """Same entity under another spelling: "Putin" ~ "Vladimir Putin", "ICC" ~
    "International Criminal Court", "Sergei Lavrov" ~ "Sergey Lavrov", "Russia" ~ "Russian"."""
    na, nb = _norm(a), _norm(b)
    if not na or not nb:
        return True
    ta, tb = set(na.split()), set(nb.split())
    if ta <= tb or tb <= ta:
        return True
    acr_a, acr_b = _acronym(a), _acronym(b)
    if (len(acr_a) >= 2 and acr_a == b.replace(".", "")) or (len(acr_b) >= 2 and acr_b == a.replace(".", "")):
        return True
    la, lb = na.split()[-1], nb.split()[-1]
    if len(ta) > 1 and len(tb) > 1 and la == lb:  # same surname
        return True
    if SequenceMatcher(None, na, nb).ratio() >= 0.85:  # transliteration, typo
        return True
    if len(ta) == 1 and len(tb) == 1:  # demonyms: Russia ~ Russian, China ~ Chinese
        k = 0
        while k < min(len(na), len(nb)) and na[k] == nb[k]:
            k += 1
        if k >= 4 and k >= min(len(na), len(nb)) - 2:
            return True
    return False


def _name_matches(name: str, other_text: str, other_names: list[str]) -> bool:
    n = _norm(name)
    if not n or re.search(rf"\b{re.escape(n)}\b", _norm(other_text)):
        return True
    return any(_same_name(name, o) for o in other_names)


def _distinct(names: list[str]) -> list[str]:
    """Collapse spellings of one entity ("ICC", "the International Criminal Court")."""
    out: list[str] = []
    for n in names:
        if not any(_same_name(n, o) for o in out):
            out.append(n)
    return out


def _pool(f: ClaimFacts, typ: str) -> list[str]:
    """Names of ``typ`` to match against; place-like kinds also match each other
    ("Russian" NORP ~ "Russia" GPE)."""
    names = list(f.names.get(typ, []))
    if typ in PLACE_LIKE:
        names += [x for t in PLACE_LIKE if t != typ for x in f.names.get(t, [])]
    return names


def compare_facts(a: ClaimFacts, b: ClaimFacts) -> tuple[Signal, ...]:
    out: list[Signal] = []
    for typ in NAME_TYPES:
        na, nb = a.names.get(typ, []), b.names.get(typ, [])
        if not na or not nb:
            continue
        only_a = _distinct([x for x in na if not _name_matches(x, b.text, _pool(b, typ))])
        only_b = _distinct([x for x in nb if not _name_matches(x, a.text, _pool(a, typ))])
        # a swap: exactly one name of this kind on each side that the other side lacks
        # (more than one is extra information, not a swap), filling the same slot
        if len(only_a) == 1 and len(only_b) == 1 and a.slots[only_a[0]] == b.slots[only_b[0]]:
            out.append(Signal("entity_mismatch", f"{typ}: {only_a[0]!r} vs {only_b[0]!r}"))
            break
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        out.append(Signal("number_mismatch", f"{sorted(a.numbers)[:3]} vs {sorted(b.numbers)[:3]}"))
    for field, label in (("years", "year"), ("months", "month"), ("weekdays", "weekday")):
        fa, fb = getattr(a, field), getattr(b, field)
        if fa and fb and not (fa & fb):
            out.append(Signal("date_mismatch", f"{label}: {sorted(fa)} vs {sorted(fb)}"))
            break
    if a.negated != b.negated:
        side = "first" if a.negated else "second"
        out.append(Signal("negation_mismatch", f"only the {side} claim is negated"))
    return tuple(out)


SIGNAL_NAMES = ("entity_mismatch", "number_mismatch", "date_mismatch", "negation_mismatch")
