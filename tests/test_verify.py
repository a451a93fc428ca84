"""Document-vs-claim mode on long documents, through the real models."""

import pytest

from checker.verify import Verifier, windows, source_sentences


@pytest.fixture(scope="module")
def verifier(nlp, embedder):
    return Verifier(nlp=nlp, embedder=embedder)


def _long_source(words_target=10_500):
    filler = ("The committee reviewed the annual budget of the regional transport authority in detail. "
              "Several members asked about maintenance schedules for the northern rail lines. ")
    parts = []
    while sum(len(p.split()) for p in parts) < words_target:
        parts.append(filler)
    parts.append("On Friday the city council of Lyon approved the construction of a new tram bridge over the Rhone.")
    return "\n\n".join(parts)


def test_long_document_no_silent_truncation(verifier):
    src = _long_source()
    assert len(src.split()) > 10_000
    sents = source_sentences(src, verifier.nlp)
    wins = windows(sents, src, verifier.nli.tokenizer, verifier.chunk_tokens)
    assert all(len(verifier.nli.tokenizer.tokenize(w.text)) <= verifier.chunk_tokens for w in wins)
    covered = set()
    for w in wins:
        covered.update(range(w.start, w.end))
    assert all(s.start in covered and s.end - 1 in covered for s in sents)  # every sentence in some window
    checks = verifier.check(src, "The Lyon city council approved a new tram bridge. The bridge will cross the Seine.")
    assert len(checks) == 2
    first = checks[0]
    assert "Lyon" in first.best_support.text and first.best_support.end == len(src)  # found at the very end
    assert first.support > checks[1].support or checks[1].verdict != "supported"


def test_consistency_api(verifier):
    doc = "The International Criminal Court issued an arrest warrant for Vladimir Putin in March 2023."
    good, bad = verifier.consistency([(doc, "An arrest warrant for Putin was issued by the International Criminal Court."),
                                      (doc, "The European Court of Human Rights acquitted Putin in 2019.")])
    assert 0.0 <= bad < good <= 1.0


def test_source_prepared_once_and_probability_monotone(verifier):
    doc = ("The mayor opened the new library on Monday. It holds 40,000 books. "
           "The building cost 12 million euros and was designed by a local architect.")
    verifier._sources.clear()
    raw = verifier.raw_scores([(doc, "The library holds 40,000 books."), (doc, "The library holds 90,000 books."),
                               (doc, "The mayor closed the library.")])
    assert len(verifier._sources) == 1  # three texts, one source parse
    assert all(-1.0 <= r <= 1.0 for r in raw)
    assert raw[0] > raw[1] and raw[0] > raw[2]
    probs = [verifier.probability(r) for r in sorted(raw)]
    assert probs == sorted(probs) and all(0.0 <= p <= 1.0 for p in probs)


def test_scoring_description_matches_config(verifier):
    sc = verifier.scoring()
    assert sc["unit"] == verifier.config.verify_unit and sc["aggregate"] in ("mean", "min")
    if verifier.doc_cal:  # the shipped calibration was fitted with the shipped scoring
        assert verifier.doc_cal["scoring"] == sc


def test_contradiction_evidence_is_the_conflicting_sentence(verifier):
    doc = ("The mayor opened the new library on Monday. It holds 40,000 books. "
           "The building cost 12 million euros and was designed by a local architect.")
    wrong, unrelated = verifier.check(doc, "The library holds 90,000 books. Paris is the capital of France.")
    assert wrong.verdict == "contradicted"
    assert wrong.best_contradiction.text == "It holds 40,000 books."
    assert doc[wrong.best_contradiction.start:wrong.best_contradiction.end] == wrong.best_contradiction.text
    assert any(s["name"] == "number_mismatch" for s in wrong.signals)
    # no source sentence is about Paris: nothing may be shown as contradicting evidence
    assert unrelated.verdict == "not in source"
    assert unrelated.best_contradiction is None and unrelated.contradiction == 0.0


def test_support_is_calibrated(verifier):
    cal = verifier.config.support  # fitted by `checker calibrate` (shipped calibration.json)
    assert cal and 0.0 < cal["threshold"] < 1.0
    assert cal["dev"]["precision_at_threshold"] >= cal["dev"]["target_precision"] - 1e-9
    ps = [verifier.support_probability(x) for x in (0.0, 0.3, 0.6, 0.9, 1.0)]
    assert ps == sorted(ps) and all(0.0 <= p <= 1.0 for p in ps)
    check = verifier.check("The building cost 12 million euros.", "The building cost 12 million euros.")[0]
    assert check.verdict == "supported" and check.support >= cal["threshold"]
