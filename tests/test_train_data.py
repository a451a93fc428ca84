"""The news-claim pairs the training script builds (models/train_nli.py, models/data/README.md):
which pairs are also trained reversed, and with which label."""

import json

import pytest

from models import train_nli

ROWS = [
    {"premise": "The vote was 61-38.", "hypothesis": "The vote was 60-39.", "label": "contradiction", "type": "number"},
    {"premise": "Reid used the nuclear option on Thursday.", "hypothesis": "Reid used the nuclear option.",
     "label": "entailment", "type": "drop_detail"},
    {"premise": "Palmer owns the course.", "hypothesis": "The course is owned by Palmer.",
     "label": "entailment", "type": "restructure"},
    {"premise": "He left on Sunday.", "hypothesis": "He left on March 29.", "label": "neutral", "type": "relative_date"},
    {"premise": "Police said X.", "hypothesis": "According to police, X.", "label": "entailment", "type": "attribution_kept"},
]


@pytest.fixture
def pairs_file(tmp_path):
    p = tmp_path / "pairs.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return p


def _by_pair(out):
    return {(a, b): train_nli.LABELS[lab] for a, b, lab in out}


def test_symmetric_reverses_only_contradictions_and_symmetric_types(pairs_file):
    got = _by_pair(train_nli.news_pairs([pairs_file]))
    assert len(got) == len(ROWS) + 1  # only the contradiction is reversed
    assert got[("The vote was 60-39.", "The vote was 61-38.")] == "contradiction"


def test_full_reversals(pairs_file):
    got = _by_pair(train_nli.news_pairs([pairs_file], "full"))
    # the less specific side as premise: the detail is missing, so neutral (never contradiction)
    assert got[("Reid used the nuclear option.", "Reid used the nuclear option on Thursday.")] == "neutral"
    # a restructured sentence and a compatible relative date hold both ways
    assert got[("The course is owned by Palmer.", "Palmer owns the course.")] == "entailment"
    assert got[("He left on March 29.", "He left on Sunday.")] == "neutral"
    # an attribution rewording is not reversed (not declared symmetric)
    assert ("According to police, X.", "Police said X.") not in got
    assert len(got) == len(ROWS) + 4


def test_a_file_given_twice_is_read_twice(pairs_file):
    assert len(train_nli.news_pairs([pairs_file, pairs_file])) == 2 * len(train_nli.news_pairs([pairs_file]))
