"""End-to-end on the seeds through the real models (spaCy, MiniLM, our NLI model)."""

import json

import checker
from checker.report import render, report_dict
from tests.conftest import SEEDS


def _matches(side: dict, alternatives: list[dict]) -> bool:
    for alt in alternatives:
        art_ok = side["role"] == "reference" if alt["article"] == "reference" else side["article"] == alt["article"]
        if art_ok and alt["quote"] in side["sentence"]:
            return True
    return False


def found(items: list[dict], gold_item: dict) -> bool:
    return any((_matches(f["a"], gold_item["a"]) and _matches(f["b"], gold_item["b"])) or
               (_matches(f["b"], gold_item["a"]) and _matches(f["a"], gold_item["b"])) for f in items)


def test_gold_contradictions_reported(seeds_result, gold):
    items = report_dict(seeds_result)["contradictions"]
    missing = [g["id"] for g in gold["must_flag"] if not found(items, g)]
    assert not missing, f"gold contradictions not reported: {missing}"


def test_evidence_offsets_point_into_files(seeds_result):
    data = report_dict(seeds_result)
    assert data["contradictions"], "expected at least one contradiction on the seeds"
    for f in data["contradictions"]:
        assert 0.0 <= f["score"] <= 1.0
        for s in (f["a"], f["b"]):
            path = SEEDS / ("reference.txt" if s["role"] == "reference" else s["article"])
            raw = path.read_text(encoding="utf-8")
            assert raw[s["start"]:s["end"]].strip() == s["sentence"]
        assert f["a"]["article"] != f["b"]["article"]  # never an article against itself
        assert f["a"]["role"] == "article"


def test_never_compares_article_with_itself(seeds_result):
    for j in seeds_result.judgements:
        assert seeds_result.claim(j.a).doc != seeds_result.claim(j.b).doc


def test_clusters_and_statuses(seeds_result):
    data = report_dict(seeds_result)
    claim_ids = {c.id for c in seeds_result.claims}
    clustered = [cid for cl in data["clusters"] for cid in (c["id"] for c in cl["claims"])]
    assert sorted(clustered) == sorted(claim_ids)  # every claim in exactly one cluster
    assert any(len(cl["articles"]) > 1 for cl in data["clusters"])  # some facts span sources
    statuses = {row["status"] for a in data["articles"] for row in a["claims"]}
    assert "contradicted" in statuses and "single-source" in statuses
    assert len(data["articles"]) == 5


def test_renderers(seeds_result):
    md = render(seeds_result, "report", "markdown")
    assert md.startswith("# Cross-source contradictions") and "| status | claim |" in md
    txt = render(seeds_result, "contradictions", "text")
    assert "P(contradiction)" in txt
    js = json.loads(render(seeds_result, "contradictions", "json"))
    assert set(js) >= {"contradictions", "articles", "clusters"}


def test_deterministic(tmp_path, nlp, embedder, nli):
    (tmp_path / "a.txt").write_text("The summit took place in Geneva on Monday. Ten ministers attended the talks.\n")
    (tmp_path / "b.txt").write_text("The summit took place in Vienna on Monday. Twelve ministers attended the talks.\n")
    cfg = checker.Config.default(progress=False)
    r1 = render(checker.run([tmp_path], config=cfg), "report", "json")
    r2 = render(checker.run([tmp_path], config=cfg), "report", "json")
    assert r1 == r2
    data = json.loads(r1)
    assert any("entity_mismatch" in {s["name"] for s in f["signals"]} for f in data["contradictions"])
