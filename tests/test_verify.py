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


# ---------------------------------------------------------------- the batched path (issue 11, part 3)
from tests.conftest import SHARED  # noqa: E402

EVAL = SHARED / "data" / "eval"


def _real_pairs():
    """A handful of real rows: 2 SummEval test articles x 3 summaries (sources shared), 3 QAGS
    summaries, one WiCE claim vs its long cited page, and one XSum-length pair."""
    import json

    from checker.evaluate import summeval_split, xsum_length_pairs

    rows = summeval_split(EVAL, "test")
    docs = sorted({r["doc_id"] for r in rows})[:2]
    pairs = [(r["document"], r["summary"]) for d in docs for r in [x for x in rows if x["doc_id"] == d][:3]]
    qags = [json.loads(line) for line in open(EVAL / "qags/mturk_cnndm.jsonl")][:3]
    pairs += [(r["article"], " ".join(s["sentence"] for s in r["summary_sentences"])) for r in qags]
    wice = json.loads(open(EVAL / "wice/entailment_retrieval_claim/dev.jsonl").readline())
    pairs.append((" ".join(wice["evidence"]), wice["claim"]))
    pairs += xsum_length_pairs(EVAL, n=1)
    pairs.append((pairs[0][0], pairs[1][1]))  # a summary of another article: low score
    pairs.append((pairs[0][0], ""))  # nothing to check
    return pairs


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/data/eval not present")
def test_batched_scores_equal_the_per_example_reference(verifier):
    """The batched path (sources split once with the sentence pipes only, one embedding call,
    deduplicated NLI) gives the scores of the straightforward path run one example at a time."""
    pairs = _real_pairs()
    verifier._sources.clear()
    fast = verifier.raw_scores(pairs)
    ref = []
    for p in pairs:
        verifier._ref_sources.clear()
        ref += verifier.raw_scores_reference([p])
    assert len(fast) == len(ref) == len(pairs)
    assert max(abs(a - b) for a, b in zip(fast, ref)) < 1e-4, list(zip(fast, ref))
    assert len({round(x, 3) for x in fast}) > 5  # the examples really differ
    # again from the cache, in blocks smaller than the call, and through consistency()
    old_block = verifier.block
    try:
        verifier.block = 4
        assert max(abs(a - b) for a, b in zip(verifier.raw_scores(pairs), ref)) < 1e-4
    finally:
        verifier.block = old_block
    assert verifier.consistency(pairs) == pytest.approx([round(verifier.probability(r), 4) for r in ref], abs=2e-4)


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/data/eval not present")
def test_batched_checks_equal_the_reference(verifier):
    pairs = _real_pairs()[:4] + _real_pairs()[6:7]
    verifier._sources.clear()
    verifier._ref_sources.clear()
    fast, ref = verifier.check_many(pairs), verifier.check_many_reference(pairs)
    assert [len(c) for c in fast] == [len(c) for c in ref]
    for a, b in zip((c for cs in fast for c in cs), (c for cs in ref for c in cs)):
        assert (a.claim, a.verdict, a.best_support, a.best_contradiction, a.signals) == \
               (b.claim, b.verdict, b.best_support, b.best_contradiction, b.signals)
        assert abs(a.support - b.support) <= 1e-4 and abs(a.contradiction - b.contradiction) <= 1e-4


def test_batched_sentence_split_matches_sentence_spans(nlp):
    from checker.claims import sentence_spans
    from checker.verify import sentence_spans_many

    texts = ["The mayor opened the library on Monday. It holds 40,000 books.\n\n  A second paragraph "
             "starts here. Dr. Smith said so!", "", "One line without a full stop",
             "x" * 10 + ". Short. " * 3 + "\n\nLast one."]
    got = [[] for _ in texts]
    for ti, a, b, st, _ in sentence_spans_many(texts, nlp):
        got[ti].append((a, b, st))
    assert got == [[(a, b, st) for a, b, st, _ in sentence_spans(t, nlp)] for t in texts]
    assert "ner" in nlp.pipe_names and nlp("Paris is big.").ents  # the shared pipeline is left whole


@pytest.mark.skipif(not EVAL.exists(), reason="../shared/data/eval not present")
def test_xsum_length_speed_set():
    from checker.evaluate import xsum_length_pairs

    one, five = xsum_length_pairs(EVAL, n=100), xsum_length_pairs(EVAL, n=20, per_source=5)
    assert len(one) == 100 and len({s for s, _ in one}) == 100
    assert len(five) == 20 and len({s for s, _ in five}) == 4
    words = [len(s.split()) for s, _ in one]
    assert 330 <= sum(words) / len(words) <= 450 and max(words) <= 480
    assert all(0 < len(t.split()) <= 120 for _, t in one)


def test_parallel_forward_passes_give_the_same_numbers(verifier):
    """Embeddings and NLI probabilities computed on worker threads of one torch thread each
    equal the plain calls, and the process's torch thread count is left as it was."""
    import numpy as np
    import torch

    from checker.embed import embed

    texts = [f"Sentence number {i} says that {i * 7} people attended the meeting in town {i % 9}." + " More." * (i % 5)
             for i in range(150)]
    before, workers = torch.get_num_threads(), verifier.workers
    try:
        verifier.workers = 2
        par = verifier._embed(texts)
        assert torch.get_num_threads() == before
        assert np.abs(par - embed(texts, verifier.embedder)).max() < 1e-5
        pairs = [(texts[i], texts[(i * 3) % 150]) for i in range(70)]
        assert np.abs(verifier.nli.predict_parallel(pairs, workers=2) - verifier.nli.predict(pairs)).max() < 1e-5
        assert torch.get_num_threads() == before
    finally:
        verifier.workers = workers
