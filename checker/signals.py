"""Deterministic mismatch signals between two claims that otherwise align.

A small NLI model misses entity swaps ("International Court of Justice" vs
"International Criminal Court" looks entailed). These signals look for a
*swap*: each side mentions something of the same kind (an organisation, a
number, a year, ...) that the other side does not, or one side is negated and
the other is not. They are combined with the NLI probabilities by the
calibrated combiner in :mod:`checker.compare`.
"""

from __future__ import annotations

import json
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
    # role -> values: "age" -> {75.0}; "count:people" -> {24.0}; "money:cost" -> ... (hedged numbers
    # such as "at least 24" are left out: they do not clash with a larger count)
    num_roles: dict = field(default_factory=dict)
    # (slot, granularity, value): ("meet", "day", "2023-10-16"), ("leave", "weekday", "sunday"), ("be", "year", 2005)
    dates: tuple = ()
    root: str = ""  # lemma of the claim's main verb
    subject: frozenset = frozenset()  # lower-cased words of the main verb's subject
    negated_heads: frozenset = frozenset()  # lemmas of the words a negation negates ("not provide" -> provide)
    has_verb: bool = True  # a verb or auxiliary anywhere in the claim (a list item, timetable or table row has none)
    # its only negation is "without X": it denies X ("Van Gaal will be without Rojo"), not the clause
    narrow_negation: bool = False


_SETS = ("numbers", "years", "months", "weekdays", "content", "subject", "negated_heads")


def dump_facts(f: ClaimFacts) -> bytes:
    """``f`` as JSON (a store's cache value; :func:`load_facts` gives an equal ClaimFacts)."""
    d = {k: getattr(f, k) for k in f.__dataclass_fields__}
    for k in _SETS:
        d[k] = sorted(d[k], key=repr)
    d["num_roles"] = {k: sorted(v) for k, v in f.num_roles.items()}
    return json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")


def load_facts(b: bytes) -> ClaimFacts:
    d = json.loads(b.decode("utf-8", "surrogatepass"))
    for k in _SETS:
        d[k] = frozenset(d[k])
    d["num_roles"] = {k: frozenset(v) for k, v in d["num_roles"].items()}
    d["dates"] = tuple(tuple(x) for x in d["dates"])
    return ClaimFacts(**d)


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


AGE_RX = re.compile(r"\d+[- ]years?[- ]old|\baged? \d+", re.I)
HEDGES = {"about", "around", "nearly", "almost", "over", "some", "roughly", "approximately", "up",
          "more", "less", "fewer", "least", "most", "than", "under", "estimated", "several", "dozens", "hundreds",
          "thousands", "tens", "million", "billion"}
# events that recur with other participants or on other days: a different participant or
# date means another occurrence (Wang Yi met Lavrov; Xi met Lavrov the next day), never a clash
REPEATABLE = {"meet", "visit", "talk", "speak", "call", "attend", "travel", "host", "hold", "discuss", "arrive",
              "march", "protest", "rally", "gather", "say", "tell", "announce", "warn", "hail", "praise",
              "criticize", "criticise", "sign", "fly", "tour", "greet", "thank", "urge", "welcome", "join",
              "shake", "telephone", "phone", "chat", "confer", "negotiate", "vote", "interview", "address"}
_WD = {d: i for i, d in enumerate(WEEKDAYS)}


def _hedged(ent) -> bool:
    """"at least 24", "about 800", "more than a decade": a bound or estimate, not a count."""
    doc = ent.doc
    words = {t.lower_ for t in ent} | {t.lower_ for t in doc[max(0, ent.start - 3):ent.start]}
    return bool(words & HEDGES - {"million", "billion"}) or bool(re.search(r"\+|\bplus\b", ent.text))


def number_role(ent) -> str:
    """What a number measures: "age" for "75-year-old" / "aged 75"; otherwise its kind and the
    word it counts or fills ("count:people" for "24 people", "money:cost", "percent:fall")."""
    if AGE_RX.search(ent.text):
        return "age"
    root = ent.root
    if ent.label_ in ("MONEY", "PERCENT"):
        return f"{ent.label_.lower()}:{slot(ent)}"
    if ent.label_ == "ORDINAL":
        return f"ordinal:{root.head.lemma_.lower()}"
    if root.dep_ == "nummod" and root.head.pos_ in ("NOUN", "PROPN"):
        return f"count:{root.head.lemma_.lower()}"
    if root.dep_ == "appos" and root.head.ent_type_ == "PERSON":
        return "age"
    return f"{ent.label_.lower()}:{slot(ent)}"


def resolve_date(text: str, ref_date: str | None) -> list[tuple[str, object]]:
    """(granularity, value) for a date expression: ("day", ISO date) when it can be pinned
    to a calendar day — written in full, a month and day in the article's year, or a
    weekday resolved to the latest such day on or before the article's date — else
    ("weekday", name), ("month", name) or ("year", number)."""
    from datetime import date, timedelta

    from .ingest.meta import find_dates

    low = text.lower()
    full = find_dates(text)
    if full:
        return [("day", d.isoformat()) for _, _, d in full]
    ref = date.fromisoformat(ref_date) if ref_date else None
    out: list[tuple[str, object]] = []
    m = re.search(r"\b(" + "|".join(MONTHS) + r")\.?\s+(\d{1,2})\b", low)
    if m and ref and not re.search(r"\b(1[89]|20)\d\d\b", low):
        try:
            return [("day", date(ref.year, MONTHS.index(m.group(1)) + 1, int(m.group(2))).isoformat())]
        except ValueError:
            pass
    for d in WEEKDAYS:
        if re.search(rf"\b{d}\b", low) and not re.search(r"\b(next|last|every|each|previous)\b", low):
            if ref:
                out.append(("day", (ref - timedelta(days=(ref.weekday() - _WD[d]) % 7)).isoformat()))
            else:
                out.append(("weekday", d))
    if not out:
        out += [("month", mo) for mo in MONTHS if re.search(rf"\b{mo}\b", low)]
        out += [("year", int(y)) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", low)]
    return out


CLIMB = {"pobj", "prep", "agent", "poss", "compound", "case", "appos", "conj", "cc"}


def slot(span) -> str:
    """The word an entity mention fills a slot of: "issued by the ICC" and "the ICC issued"
    both give "issue"; "Russia's minister met" gives "meet", "China's minister is" gives "be"."""
    t = span.root
    while t.dep_ in CLIMB and t.head != t:
        t = t.head
    return (t.head if t.head != t and t.dep_ not in ("ROOT",) else t).lemma_.lower()


def _yet_to(t) -> bool:
    """"has yet to comment" = "has not commented"."""
    return t.lower_ == "yet" and t.i + 1 < len(t.doc) and t.doc[t.i + 1].lower_ == "to" and \
        t.i > 0 and t.doc[t.i - 1].lemma_ in ("have", "be")


def _same_proposition(a: ClaimFacts, b: ClaimFacts) -> bool:
    """Could one claim's negation deny the other? Only if they share the subject, the main
    verb, or the negated word ("China does not provide weapons" / "China sends weapons": same
    subject; "the cheetahs did not approach the boy" / "his parents rescued the boy": neither).
    A claim whose only negation is "without X" can deny only a claim about X ("Van Gaal will be
    without Rojo" / "Van Gaal has Van Persie back": no)."""
    neg, other = (a, b) if a.negated else (b, a)

    def stems(words):  # "coin" / "coins"
        return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}

    if neg.narrow_negation:  # "without X" denies X: only a claim about X can be denied by it
        return bool(stems(neg.negated_heads) & stems(other.content))
    return bool(stems(a.subject) & stems(b.subject)) or (a.root and a.root == b.root) or bool(neg.negated_heads & other.content)


def facts(doc, ref_date: str | None = None) -> ClaimFacts:
    """Extract comparable facts from a spaCy Doc of one claim. ``ref_date`` (ISO) is the
    publication date of its article: relative dates ("on Monday", "March 29") are resolved
    against it."""
    names: dict[str, list[str]] = {}
    slots: dict[str, str] = {}
    numbers, years, months, weekdays = set(), set(), set(), set()
    num_roles: dict[str, set] = {}
    dates: list[tuple] = []
    for e in doc.ents:
        if e.label_ in NAME_TYPES:
            names.setdefault(e.label_, []).append(e.text)
            slots.setdefault(e.text, slot(e))
        elif e.label_ in NUMBER_TYPES or (e.label_ == "DATE" and AGE_RX.search(e.text)):
            vals = _num_values(e.text)
            numbers |= vals
            if vals and not _hedged(e):
                num_roles.setdefault(number_role(e), set()).update(vals)
        elif e.label_ in ("DATE", "TIME"):
            low = e.text.lower()
            years |= {int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", low)}
            months |= {m for m in MONTHS if re.search(rf"\b{m}\b", low)}
            weekdays |= {d for d in WEEKDAYS if d in low}
            dates += [(slot(e), g, v) for g, v in resolve_date(e.text, ref_date)]
    for m in re.finditer(r"(?:,\s*|\baged\s+)(\d{1,3})(?=\s*,|\s*$)", doc.text):  # "John Smith, 75,"
        num_roles.setdefault("age", set()).add(float(m.group(1)))
    negs = [t for t in doc if t.dep_ == "neg" or t.lower_ in NEGATIONS or t.lemma_ in NEG_VERBS or _yet_to(t)]
    negated = bool(negs)
    negated_heads = frozenset(w for t in negs for w in _negated_words(t))
    narrow = negated and all(t.lower_ == "without" for t in negs)
    content = frozenset(t.lemma_.lower() for t in doc
                        if t.pos_ in CONTENT_POS and not t.is_stop and t.lemma_.lower() not in GENERIC)
    root_tok = next((t for t in doc if t.dep_ == "ROOT"), None)
    root = root_tok.lemma_.lower() if root_tok is not None else ""
    subj = next((c for c in root_tok.children if c.dep_ in ("nsubj", "nsubjpass")), None) if root_tok is not None else None
    subject = frozenset(t.lower_ for t in subj.subtree if t.is_alpha and not t.is_stop) if subj is not None else frozenset()
    return ClaimFacts(doc.text, names, frozenset(numbers), frozenset(years), frozenset(months),
                      frozenset(weekdays), negated, content, slots,
                      {k: frozenset(v) for k, v in num_roles.items()}, tuple(sorted(set(dates), key=str)), root, subject,
                      negated_heads, any(t.pos_ in ("VERB", "AUX") for t in doc) and not table_row(doc.text), narrow)


def _negated_words(t) -> list[str]:
    """Lemmas of what a negation word negates: its head ("not provide" -> provide), a negating
    verb itself ("denied"), or the object of "without" ("without Rojo and Shaw" -> rojo, shaw)."""
    if t.lemma_ in NEG_VERBS:
        return [t.lemma_.lower()]
    if t.lower_ == "without":
        objs = [c for c in t.children if c.dep_ in ("pobj", "pcomp")]
        objs += [c for o in objs for c in o.conjuncts]
        if objs:
            return [o.lemma_.lower() for o in objs]
    return [t.head.lemma_.lower()]


# "gomes 7. 5; cathcart 6. 5, angella 6, connolly 8": a row of a table (player ratings, results),
# where the parser takes a lower-cased name for a verb; three "name number" items or more
TABLE_ITEM = re.compile(r"\b([^\W\d_][\w'.-]*)\s+\d+(?:\.\s?\d+)?\s*(?:\([^()]{0,30}\)\s*)?(?:;|,(?!\d))")
NOT_A_NAME = {"in", "on", "at", "to", "of", "by", "for", "from", "than", "about", "with", "and", "or", "since",
              "until", "after", "before", "over", "under", "nearly", "almost", "around", "some", "up", "top"}


def table_row(text: str) -> bool:
    """A table row read as a sentence (it states nothing a verb asserts): three "name number"
    items or more ("in 2019, ... in 2020" are not names)."""
    return sum(w.lower() not in NOT_A_NAME for w in TABLE_ITEM.findall(text)) >= 3


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


def _entity_swap(a: ClaimFacts, b: ClaimFacts) -> tuple[str, str, str, str] | None:
    """(kind, name in a, name in b, slot) when exactly one name of a kind on each side is
    missing from the other and both fill the same slot."""
    for typ in NAME_TYPES:
        na, nb = a.names.get(typ, []), b.names.get(typ, [])
        if not na or not nb:
            continue
        only_a = _distinct([x for x in na if not _name_matches(x, b.text, _pool(b, typ))])
        only_b = _distinct([x for x in nb if not _name_matches(x, a.text, _pool(a, typ))])
        # a swap: exactly one name of this kind on each side that the other side lacks
        # (more than one is extra information, not a swap), filling the same slot
        if len(only_a) == 1 and len(only_b) == 1 and a.slots[only_a[0]] == b.slots[only_b[0]]:
            return typ, only_a[0], only_b[0], a.slots[only_a[0]]
    return None


def _number_clash(a: ClaimFacts, b: ClaimFacts) -> str | None:
    """A value of the same role on both sides, with no value in common ("age 75" vs "age 70";
    never an age against a hole number or a count of other things)."""
    for role in sorted(set(a.num_roles) & set(b.num_roles)):
        va, vb = a.num_roles[role], b.num_roles[role]
        if not (va & vb):
            return f"{role}: {sorted(va)[:3]} vs {sorted(vb)[:3]}"
    return None


def _date_clash(a: ClaimFacts, b: ClaimFacts) -> str | None:
    """Dates of the same granularity that share nothing, for the same slot (the same verb),
    or as the single date of each claim. Relative dates were resolved against each article's
    date, so "left March 29" and "left Sunday" (March 29) agree."""
    def by(f: ClaimFacts, g: str) -> dict:
        out: dict = {}
        for sl, gran, v in f.dates:
            if gran == g:
                out.setdefault(sl, set()).add(v)
        return out

    for g in ("day", "year", "weekday", "month"):
        da, db = by(a, g), by(b, g)
        if g == "year":  # a pinned day also says its year
            for f, d in ((a, da), (b, db)):
                for sl, gran, v in f.dates:
                    if gran == "day":
                        d.setdefault(sl, set()).add(int(v[:4]))
        if not da or not db:
            continue
        for sl in sorted(set(da) & set(db)):
            if not (da[sl] & db[sl]):
                return f"{g} ({sl}): {sorted(map(str, da[sl]))} vs {sorted(map(str, db[sl]))}"
        va, vb = set().union(*da.values()), set().union(*db.values())
        if len(da) == 1 and len(db) == 1 and not (va & vb):
            return f"{g}: {sorted(map(str, va))} vs {sorted(map(str, vb))}"
        if va & vb:
            return None  # they share a date at this granularity: no finer clash is trusted
    return None


def compare_facts(a: ClaimFacts, b: ClaimFacts) -> tuple[Signal, ...]:
    """Mismatch signals between two aligned claims; only values of the same role are compared."""
    out: list[Signal] = []
    swap = _entity_swap(a, b)
    if swap and swap[3] not in REPEATABLE:
        out.append(Signal("entity_mismatch", f"{swap[0]}: {swap[1]!r} vs {swap[2]!r}"))
    num = _number_clash(a, b)
    if num:
        out.append(Signal("number_mismatch", num))
    dt = _date_clash(a, b)
    if dt:
        out.append(Signal("date_mismatch", dt))
    if a.negated != b.negated and _same_proposition(a, b):
        side = "first" if a.negated else "second"
        out.append(Signal("negation_mismatch", f"only the {side} claim is negated"))
    return tuple(out)


def event_relation(a: ClaimFacts, b: ClaimFacts) -> tuple[str, str]:
    """("different", why) when the two claims describe different occurrences of a repeatable
    event — another participant in a meeting or visit, or another day for it — which can
    both be true; otherwise ("same", "")."""
    swap = _entity_swap(a, b)
    if swap and swap[3] in REPEATABLE:
        return "different", f"{swap[3]}: {swap[1]!r} vs {swap[2]!r} (another occurrence)"
    if a.root == b.root and a.root in REPEATABLE and a.subject and b.subject and not (a.subject & b.subject):
        return "different", f"{a.root}: {' '.join(sorted(a.subject))!r} vs {' '.join(sorted(b.subject))!r} (another participant)"
    dt = _date_clash(a, b)
    if dt and (a.root in REPEATABLE or b.root in REPEATABLE or dt.split(" ", 1)[0] == "year"):
        return "different", f"{dt} (another occurrence)"
    return "same", ""


SIGNAL_NAMES = ("entity_mismatch", "number_mismatch", "date_mismatch", "negation_mismatch")
