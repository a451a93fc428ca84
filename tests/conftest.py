"""Session-scoped fixtures: each real model is loaded once; the seeds pipeline runs once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
GOLD = SHARED / "gold" / "seeds_contradictions.json"


@pytest.fixture(scope="session")
def nlp():
    from checker.claims import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def embedder():
    from checker.embed import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def nli():
    from checker.nli import load_nli

    return load_nli()


@pytest.fixture(scope="session")
def seeds_result(nlp, embedder, nli):
    import checker

    return checker.run([SEEDS], reference=SEEDS / "reference.txt", config=checker.Config.default(progress=False))


@pytest.fixture(scope="session")
def gold():
    if GOLD.exists():
        return json.loads(GOLD.read_text())
    # the gold file lives in ../shared; keep the test meaningful without it
    return json.loads((ROOT / "tests" / "data" / "seeds_contradictions.json").read_text())
