"""Stage 5 — compare: NLI on cross-source candidate pairs, both directions, plus
deterministic signals, combined into calibrated probabilities.

Meaning of the two scores on a :class:`~checker.records.Judgement`:

* ``contradiction`` — estimated probability that the two claims cannot both be
  true (as judged by annotators of NLI data: "contradiction" in either direction);
* ``corroboration`` — estimated probability that one claim states (entails) the other.

Only *aligned* pairs (claims about the same fact: shared content words, or
near-paraphrases) are judged, so both are conditional on alignment. Both come from
logistic regressions over the NLI probabilities, the embedding
similarity and the signal flags, fit on held-out dev data by ``checker calibrate``
(weights in ``checker/calibration.json``).
"""

from __future__ import annotations

import math
import os
import sys
import weakref

import numpy as np

from .memo import memo_of, spacy_version
from .records import Claim, Judgement, Signal
from .signals import SIGNAL_NAMES, aligned, compare_facts, dump_facts, event_relation, facts, load_facts, overlap
from .textnorm import same_statement, statement_key

FEATURES = ("pc_max", "pc_min", "pe_max", "pe_min", "pn_max", "sim", "overlap",
            "entity_mismatch", "number_mismatch", "date_mismatch", "negation_mismatch",
            "entity_x_pe", "negation_x_sim", "any_signal_x_overlap", "pc_x_overlap")


def feature_vector(p_ab, p_ba, sim: float, signals: tuple[Signal, ...], overlap: float) -> list[float]:
    fired = {s.name for s in signals}
    pe = (float(p_ab[0]), float(p_ba[0]))
    pn = (float(p_ab[1]), float(p_ba[1]))
    pc = (float(p_ab[2]), float(p_ba[2]))
    flags = [1.0 if n in fired else 0.0 for n in SIGNAL_NAMES]
    return [max(pc), min(pc), max(pe), min(pe), max(pn), sim, overlap, *flags,
            flags[0] * max(pe), flags[3] * sim, (1.0 if fired else 0.0) * overlap, max(pc) * overlap]


def both_neutral(p_ab, p_ba) -> bool:
    """NLI's most likely label is "neutral" in both directions."""
    return int(np.argmax(p_ab)) == 1 and int(np.argmax(p_ba)) == 1


def pair_features(p_ab, p_ba, sim: float, fa, fb) -> tuple[list[float], tuple[Signal, ...], bool]:
    """Everything the combiner needs for one claim pair: (feature vector, fired signals,
    NLI-neutral stratum). ``fa``/``fb`` are :class:`checker.signals.ClaimFacts`."""
    sig = compare_facts(fa, fb)
    return feature_vector(p_ab, p_ba, sim, sig, overlap(fa, fb)), sig, both_neutral(p_ab, p_ba)


def _logistic(weights: dict, x: list[float]) -> float:
    z = weights["intercept"] + sum(w * v for w, v in zip(weights["coef"], x))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def combine(combiner: dict, x: list[float], signals: tuple[Signal, ...] = (), neutral: bool = False,
            entailed: bool = False) -> tuple[float, float]:
    """(P(contradiction), P(corroboration)).

    The logistic regression gives both. A fired mismatch signal raises P(contradiction)
    to at least that signal's measured precision on aligned dev pairs in the same NLI
    stratum (``signal_rates``: P(contradiction | aligned, signal fired, NLI neutral in
    both directions or not), from ``checker calibrate``) — small NLI models miss entity swaps that the signals catch — and a pair
    is never more likely a corroboration than 1 - P(contradiction). A signal never overrides
    an NLI judgement of entailment (``entailed``: NLI's most likely label is entailment in
    both directions, i.e. NLI reads the pair as a paraphrase).
    Without a calibration file, fall back to the raw NLI probabilities (max over both
    directions)."""
    if not (combiner and combiner.get("features") == list(FEATURES)):
        return x[0], x[2]
    pc = _logistic(combiner["contradiction"], x)
    pe = _logistic(combiner["corroboration"], x)
    stratum = "nli_neutral" if neutral else "nli_not_neutral"
    rates = combiner.get("signal_rates", {}).get(stratum, {})
    fired = [rates[s.name]["rate"] for s in signals if s.name in rates]
    if fired and not entailed:
        pc = max(pc, max(fired))
    return pc, min(pe, 1.0 - pc)


def align_gate(config):
    return dict(min_overlap=config.align_min_overlap, min_shared=config.align_min_shared,
                paraphrase_sim=config.align_paraphrase_sim)


def nli_stratum(p_ab, p_ba) -> str:
    """Which way NLI leans: entailed both ways (a paraphrase), one way, neutral both ways, other."""
    ea, eb = int(np.argmax(p_ab)) == 0, int(np.argmax(p_ba)) == 0
    if ea and eb:
        return "nli_entailed_both"
    if ea or eb:
        return "nli_entailed_one"
    return "nli_neutral" if both_neutral(p_ab, p_ba) else "nli_other"


def score_pair(config, x: list[float], sig, p_ab, p_ba) -> tuple[float, float]:
    """(P(contradiction), P(corroboration)) of one aligned pair.

    With a real-news calibration (``calibration.json["realnews"]``, from ``checker calibrate
    --realnews``), the logistic combiner gives the base probability and a fired signal raises
    P(contradiction) to its most specific measured precision (:func:`signal_floor`); never
    when NLI calls the pair entailed in both directions (a paraphrase). Without one, the
    older synthetic-dev signal rates apply (:func:`combine`)."""
    rn = config.realnews
    stratum = nli_stratum(p_ab, p_ba)
    if not rn:
        return combine(config.combiner, x, sig, stratum == "nli_neutral", stratum == "nli_entailed_both")
    pc, pe = combine({k: v for k, v in config.combiner.items() if k != "signal_rates"}, x)
    pc = signal_floor(pc, sig, stratum, rn.get("signal_rates", {}), config.combiner.get("signal_rates", {}))
    return pc, min(pe, 1.0 - pc)


def signal_floor(pc: float, signals, stratum: str, rates: dict, fallback: dict | None = None) -> float:
    """P(contradiction) raised to the highest measured precision of the fired signals;
    unchanged when NLI reads the pair as a paraphrase.

    Each signal's precision is the most specific real-news measurement there is (``rates``,
    from ``checker calibrate --realnews``): in the pair's NLI stratum
    (``rates[stratum][name]``), else pooled over the strata (``rates["all"][name]``), else —
    no real-news dev pair fired it often enough — the synthetic-dev rate (``fallback``, the
    combiner's ``signal_rates``: strata "nli_neutral" / "nli_not_neutral")."""
    if stratum == "nli_entailed_both":
        return pc
    here, pooled = rates.get(stratum, {}), rates.get("all", {})
    synthetic = (fallback or {}).get("nli_neutral" if stratum == "nli_neutral" else "nli_not_neutral", {})
    floors = [src["rate"] for s in signals
              for src in [here.get(s.name) or pooled.get(s.name) or synthetic.get(s.name)] if src]
    return max([pc] + floors)


def pair_kind(a: Claim, b: Claim) -> str:
    """"fact": neither side is attributed, or both to the same party; "disputed": one side
    reports what a party says (an assertion or a denial) and the other states it as fact;
    "views": the two sides report two different parties (A says X, B says not X) — a debate
    the sources report, not a disagreement between them."""
    sa, sb = (statement_key(c.speaker) if c.speaker else "" for c in (a, b))
    if sa == sb:
        return "fact"
    return "views" if sa and sb else "disputed"


def _ordered(a: Claim, b: Claim, p_ab, p_ba):
    if b.role == "article" and a.role == "reference":  # article side first
        return b, a, p_ba, p_ab
    return a, b, p_ab, p_ba


FACTS_BATCH = 256  # texts per nlp.pipe batch (measured: 256 beats 64 by ~10%, 1,000 is slower)
FACTS_CACHE_SIZE = 50_000  # (text, date) -> ClaimFacts kept per spaCy pipeline, least recently used dropped
ANY_DATE = "*"  # the date of a claim whose facts do not depend on it (no DATE or TIME entity)
_facts_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def facts_version(nlp) -> str:
    """The version of a claim's facts (a store's cache namespace): the signals code and the spaCy model."""
    return spacy_version(nlp, "signals")


def compute_facts(nlp, new: dict[str, set]) -> dict:
    """Facts of each text of ``new`` (text -> the dates of the articles it is in), parsed with
    ``nlp`` sorted by length: {(text, date): ClaimFacts} for a text with a DATE or TIME entity,
    {(text, ANY_DATE): ClaimFacts} for one without (its facts do not depend on the date)."""
    todo = sorted(new, key=lambda t: (len(t), t))
    fresh = {}
    for t, doc in zip(todo, nlp.pipe(todo, batch_size=FACTS_BATCH)):
        if any(e.label_ in ("DATE", "TIME") for e in doc.ents):
            fresh.update(((t, d), facts(doc, d)) for d in sorted(new[t], key=str))
        else:
            fresh[(t, ANY_DATE)] = facts(doc, None)
    return fresh


def claim_facts(nlp, items: list[tuple[str, str | None]], cache=None, compute=None) -> list:
    """:func:`checker.signals.facts` of each (claim text, article date), each claim parsed on its own
    (its text alone, not in its paragraph: the paragraph parse of the claims stage gives other
    facts for ~8% of even verbatim sentences, measured on CNN/DM, so it cannot stand in).

    The same as ``[facts(d, date) for d in nlp.pipe(texts)]``, faster: each distinct text is
    parsed once, texts go through spaCy sorted by length (less padding; parses do not depend on
    the batch: checked byte for byte), and facts are kept in a bounded per-pipeline map and in
    ``cache`` (a store's, :mod:`checker.memo`), so a claim judged again (``checker add`` judges
    stored claims against each new article) is not parsed again, in this process or a later one.
    ``compute``: :func:`compute_facts` done elsewhere (the parse workers: same facts); where it
    fails (a worker died), the facts are computed here."""
    memo = memo_of(_facts_cache, nlp, FACTS_CACHE_SIZE)
    backing = cache.namespace(f"facts:{facts_version(nlp)}", dump_facts, load_facts) if cache is not None else None
    # a claim without a date or time states the same facts whatever its article's date: kept once, under ANY_DATE
    have = memo.get_many([(t, ANY_DATE) for t, _ in items], backing)
    have.update(memo.get_many([(t, d) for t, d in items if (t, ANY_DATE) not in have], backing))
    new: dict[str, set] = {}
    for t, d in items:
        if (t, d) not in have and (t, ANY_DATE) not in have:
            new.setdefault(t, set()).add(d)
    fresh = {}
    if new and compute is not None:
        try:
            fresh = compute(new)
        except (RuntimeError, OSError) as exc:
            print(f"[checker] facts workers failed ({str(exc)[:200]}); parsing in this process", file=sys.stderr)
    if new and not fresh:
        fresh = compute_facts(nlp, new)
    memo.put_many(fresh, backing)
    have.update(fresh)
    return [have[(t, d)] if (t, d) in have else have[(t, ANY_DATE)] for t, d in items]


def stated_keys(claims: list[Claim], extra: dict[str, list[str]] | None = None) -> dict[str, set[str]]:
    """Document -> statement keys of what it states itself: its sentences and its unattributed
    claims (a claim it only reports, "X said ...", does not count), plus ``extra`` texts."""
    out: dict[str, set[str]] = {}
    for c in claims:
        keys = out.setdefault(c.doc, set())
        keys.add(statement_key(c.sentence.text))
        if not c.speaker:
            keys.add(statement_key(c.text))
    for doc, texts in (extra or {}).items():
        out.setdefault(doc, set()).update(statement_key(t) for t in texts)
    return out


def stated_by_both(a: Claim, b: Claim, keys: dict[str, set[str]]) -> bool:
    """Whether one side's claim (or its whole sentence) is also stated by the other side's
    article: then both articles say both things, and whatever tension there is lies within each
    article (list items, a near-copy of one page), not between the sources."""
    ka, kb = keys.get(a.doc, ()), keys.get(b.doc, ())
    return (statement_key(a.text) in kb or statement_key(a.sentence.text) in kb
            or statement_key(b.text) in ka or statement_key(b.sentence.text) in ka)


def judge(claims: list[Claim], pairs: list[tuple[int, int, float]], nli, nlp, config,
          say=None, dates: dict[str, str | None] | None = None, story_of: dict[str, int] | None = None,
          statements: dict[str, list[str]] | None = None, cache=None, facts_on=None) -> list[Judgement]:
    """Judge the candidate pairs.

    * The same statement on both sides (after Unicode, case and punctuation normalisation) is
      a corroboration with probability 1 and never a contradiction; other claim pairs of two
      identical sentences are not judged.
    * Otherwise only aligned pairs (see :func:`checker.signals.aligned`) go to NLI.
    * Claims about different occurrences of a repeatable event (:func:`checker.signals.event_relation`)
      get ``event="different"`` and P(contradiction) 0.
    * A claim cut at ``config.max_claim_chars`` (``kind="fragment"``: a run-on such as photo
      captions pasted into one sentence) is never a side of a contradiction.
    * A pair with one attributed side is ``kind="disputed"``, with two different speakers
      ``kind="views"`` (:func:`pair_kind`).
    * A pair where one article also states the other side's claim or sentence itself
      (:func:`stated_by_both`: near-copies of one page, list items) is not judged: the two
      sources do not disagree. ``statements`` adds texts of documents whose claims are not all
      in ``claims`` (the store: :meth:`checker.store.SQLiteStore.statements`).
    * A claim with no verb (a list item, a timetable, a citation: "The New York Times, 28 Nov.
      1990.") states nothing that can be contradicted: P(contradiction) 0, signal ``no_verb``.

    ``dates`` maps documents to their publication dates (relative dates are resolved
    against them); ``story_of`` maps documents to story ids. ``say`` is a
    :class:`checker.pipeline.Progress` (stage messages and NLI progress). ``cache``: a store's
    :class:`checker.store.cache.StoreCache` (claims' facts and NLI results kept for later adds).
    ``facts_on``: where claims are parsed for their facts (:meth:`checker.claims.workers.ParsePool.facts`;
    None: here)."""
    if not pairs:
        return []
    dates = dates or {}
    story_of = story_of or {}
    out: list[Judgement] = []
    rest = []
    for i, j, sim in pairs:
        a, b = claims[i], claims[j]
        same_claim = same_statement(a.text, b.text)
        if same_claim or same_statement(a.sentence.text, b.sentence.text):
            if same_claim:
                a, b, _, _ = _ordered(a, b, None, None)
                out.append(Judgement(a=a.id, b=b.id, similarity=round(float(sim), 4), p_entail_ab=1.0,
                                     p_neutral_ab=0.0, p_contra_ab=0.0, p_entail_ba=1.0, p_neutral_ba=0.0,
                                     p_contra_ba=0.0, signals=(), contradiction=0.0, corroboration=1.0,
                                     kind="fact", event="same_text", story=story_of.get(a.doc, story_of.get(b.doc))))
            continue
        rest.append((i, j, sim))
    keys = stated_keys(claims, statements)
    pairs = [(i, j, sim) for i, j, sim in rest if not stated_by_both(claims[i], claims[j], keys)]
    used = sorted({i for i, _, _ in pairs} | {j for _, j, _ in pairs})
    if os.environ.get("CHECKER_LEGACY_FACTS"):  # the parse before issue 12 (benchmarks/bench_pipeline.py)
        docs = dict(zip(used, nlp.pipe([claims[i].text for i in used], batch_size=64)))
        fx = {i: facts(d, dates.get(claims[i].doc)) for i, d in docs.items()}
    else:
        fx = dict(zip(used, claim_facts(nlp, [(claims[i].text, dates.get(claims[i].doc)) for i in used], cache, facts_on)))
    gate = align_gate(config)
    pairs = [(i, j, s) for i, j, s in pairs if aligned(fx[i], fx[j], s, **gate)]
    if say:
        say(f"{len(pairs)} aligned pairs (same fact) go to NLI, {2 * len(pairs)} directed")
    if not pairs:
        return sorted(out, key=lambda j: (j.a, j.b))
    nli_in = []
    for i, j, _ in pairs:
        nli_in.append((claims[i].text, claims[j].text))
        nli_in.append((claims[j].text, claims[i].text))
    probs = nli.predict(nli_in, batch_size=config.nli_batch_size,
                        progress=say.counter(len(nli_in), "NLI") if say else None, cache=cache)
    for k, (i, j, sim) in enumerate(pairs):
        p_ab, p_ba = probs[2 * k], probs[2 * k + 1]
        x, sig, _ = pair_features(p_ab, p_ba, sim, fx[i], fx[j])
        pc, pe = score_pair(config, x, sig, p_ab, p_ba)
        event, why = event_relation(fx[i], fx[j])
        if event == "different":
            sig = sig + (Signal("different_event", why),)
            pc = 0.0
        verbless = [claims[x].text for x in (i, j) if not fx[x].has_verb]
        if verbless:  # nothing asserted: a list item, a timetable line, a citation
            sig = sig + (Signal("no_verb", f"no verb in {verbless[0][:60]!r}"),)
            pc = 0.0
        cut = [c.text for c in (claims[i], claims[j]) if c.kind == "fragment"]
        if cut:  # a claim cut at max_claim_chars is not the sentence's statement: never a contradiction
            sig = sig + (Signal("fragment", f"cut at {config.max_claim_chars} characters: {cut[0][:60]!r}"),)
            pc = 0.0
        a, b, p_ab, p_ba = _ordered(claims[i], claims[j], p_ab, p_ba)
        out.append(Judgement(a=a.id, b=b.id, similarity=round(float(sim), 4),
                             p_entail_ab=round(float(p_ab[0]), 4), p_neutral_ab=round(float(p_ab[1]), 4),
                             p_contra_ab=round(float(p_ab[2]), 4), p_entail_ba=round(float(p_ba[0]), 4),
                             p_neutral_ba=round(float(p_ba[1]), 4), p_contra_ba=round(float(p_ba[2]), 4),
                             signals=sig, contradiction=round(pc, 4), corroboration=round(pe, 4),
                             kind=pair_kind(a, b), event=event,
                             story=story_of.get(a.doc, story_of.get(b.doc))))
    return sorted(out, key=lambda j: (j.a, j.b))


def reference_pairs(claims: list[Claim], vecs: np.ndarray) -> list[tuple[int, int, float]]:
    """Every article claim against every reference statement."""
    ref = [i for i, c in enumerate(claims) if c.role == "reference"]
    art = [i for i, c in enumerate(claims) if c.role == "article"]
    return [(min(i, j), max(i, j), float(vecs[i] @ vecs[j])) for i in art for j in ref]
