"""Faithful claims: a decomposed claim must be entailed by its own source sentence.

The rule-based decomposition can garble a sentence ("...issues that Obama are trying to
tackle"), drop a negation, a modal ("would", "plans to"), a condition or a time qualifier,
or swap agents. Each claim whose text differs from its sentence is checked with the NLI
model (premise: the sentence, hypothesis: the claim). Its calibrated P(entailed) — the
Platt scaling and threshold of ``checker verify``'s support, fitted by ``checker
calibrate`` on held-out dev pairs at 90% precision — must reach the threshold; otherwise
the decomposition is not trusted and the whole sentence stands as the claim instead.
"""

from __future__ import annotations

from dataclasses import replace

from ..records import Claim
from ..textnorm import statement_key


def _platt(support: dict, p: float) -> float:
    from ..compare import _logistic

    cal = support.get("platt")
    return _logistic({"coef": [cal["coef"]], "intercept": cal["intercept"]}, [p]) if cal else p


def hypothesis(c: Claim) -> str:
    """What the sentence must entail: the claim, or for a reported claim "<speaker> said
    that <claim>" (the sentence reports it; it does not assert it)."""
    if not c.speaker:
        return c.text
    body = c.text[:1].lower() + c.text[1:] if c.text[:2] != c.text[:2].upper() else c.text
    return f"{c.speaker} said that {body}"


def keep_faithful(claims: list[Claim], nli, support: dict, batch_size: int = 32,
                  max_chars: int = 400, cache=None) -> tuple[list[Claim], dict]:
    """(claims, stats): unfaithful decomposed claims replaced by their sentence (once per
    sentence; a sentence over ``max_chars`` is cut like any claim, see :func:`checker.claims.cut`).
    ``stats`` counts checked and entailed claims. ``cache``: a store's (NLI results kept for later adds)."""
    from . import cut

    whole = [statement_key(c.text) == statement_key(c.sentence.text) for c in claims]
    todo = [k for k, c in enumerate(claims) if c.role == "article" and not whole[k]]
    threshold = support.get("threshold", 0.5)
    # each distinct (sentence, hypothesis) is judged once: a sentence repeated across articles
    # (wire copy, boilerplate) costs one NLI call per claim, not one per copy
    pairs = [(claims[k].sentence.text, hypothesis(claims[k])) for k in todo]
    distinct = list(dict.fromkeys(pairs))
    p_entail = dict(zip(distinct, nli.predict(distinct, batch_size=batch_size, cache=cache)[:, 0])) if distinct else {}
    bad = {k for k, pair in zip(todo, pairs) if _platt(support, float(p_entail[pair])) < threshold}
    out: list[Claim] = []
    sentence_kept: set[str] = set()
    for k, c in enumerate(claims):
        if k not in bad:
            if whole[k]:
                sentence_kept.add(c.sentence.id)
            out.append(c)
        elif c.sentence.id not in sentence_kept:
            sentence_kept.add(c.sentence.id)
            text, kind = cut(c.sentence.text, "sentence", max_chars)
            out.append(replace(c, text=text, kind=kind, speaker=None))
    stats = {"decomposed_claims": len(todo), "distinct_checks": len(distinct), "entailed_by_sentence": len(todo) - len(bad),
             "replaced_by_sentence": len(bad)}
    return out, stats
