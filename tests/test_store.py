"""Issue 12: the store (checker/store) and `checker add`.

The same file twice is a no-op; a changed file replaces its old version; the read filters; the
schema migrations; one add into an empty store gives the one-shot report byte for byte; several
adds against one add; `kill -9` during `add`, then a rerun: an intact store with every article
exactly once. Real models, small articles.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import checker
from checker import report
from checker.cli import app
from checker.store.add import add
from checker.store import SQLiteStore, StoreError, load_result
from checker.store.incremental import constrained_average_linkage
from checker.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, version_of

ROOT = Path(__file__).resolve().parent.parent

TRADE = {
    "trade/beijing.txt": "Trade talks in Beijing\n\n"
    "The minister met the envoy in Beijing on Monday to discuss trade and grain prices, officials said.\n"
    "Ten officials attended the talks, the ministry said in a statement released in the evening.\n"
    "The two sides agreed to meet again in March to sign a new agreement on grain exports.\n",
    "trade/shanghai.txt": "Trade talks in Shanghai\n\n"
    "The minister met the envoy in Shanghai on Monday to discuss trade and grain prices, officials said.\n"
    "Twelve officials attended the talks, the ministry said in a statement released in the evening.\n"
    "The two sides agreed to meet again in March to sign a new agreement on grain exports.\n",
    "trade/wire.md": "# Trade talks end\n\nThe **minister** met the envoy in Beijing on Tuesday "
    "to discuss trade and grain prices, officials said.\n\n"
    "The two sides agreed to meet again in April to sign a new agreement on grain exports.\n",
}


def _flood(outlet: str, date: str, dead: str, river: str) -> str:
    return json.dumps({"id": outlet.lower(), "outlet": outlet, "date": date, "title": "Floods hit Kessel",
                       "text": f"The {river} river burst its banks in the town of Kessel on Sunday, killing {dead} people. "
                               f"Rescue teams evacuated hundreds of residents from the flooded streets of Kessel. "
                               f"The mayor of Kessel declared a state of emergency on Sunday night."}) + "\n"


FLOOD = {
    "flood/herald.jsonl": _flood("Herald", "2024-03-04", "four", "Alder"),
    "flood/gazette.jsonl": _flood("Gazette", "2024-03-05", "six", "Alder"),
    "flood/courier.jsonl": _flood("Courier", "2024-03-09", "four", "Birch"),
}
ARTICLES = {**TRADE, **FLOOD}


def write(root: Path, files: dict) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def cfg(**kw):
    return checker.Config.default(progress=False, **kw)


def rendered(result, kinds=(("report", "json"), ("contradictions", "markdown"))) -> dict:
    return {(k, f): report.render(result, k, f) for k, f in kinds}


def same_up_to_story_ids(result) -> dict:
    """The JSON report with each story id replaced by the story's first article (story ids
    number stories in the order they were first stored)."""
    first = {s.id: s.docs[0] for s in result.stories}
    data = report.report_dict(result)
    for f in data["contradictions"] + data["corroborations"] + data["opposing_views"]:
        f["story"] = first.get(f["story"])
    for a in data["articles"]:
        a["story"] = first.get(a["story"])
    for s in data["stories"]:
        s["id"] = first[s["id"]]
    return data


def findings(result) -> set:
    """Contradictions as (sentence, sentence) pairs, side order ignored."""
    return {frozenset((f["a"]["sentence"], f["b"]["sentence"])) for f in report.report_dict(result)["contradictions"]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write(tmp_path_factory.mktemp("store") / "in", ARTICLES)


@pytest.fixture(scope="module")
def one_add(corpus, nlp, embedder, nli, tmp_path_factory):
    """Everything added at once into a file store."""
    path = tmp_path_factory.mktemp("db") / "news.db"
    st = SQLiteStore(path)
    counts = add([corpus], st, cfg())
    return st, counts, load_result(st, cfg())


# ------------------------------------------------------------------ schema (no models)

def test_new_store_is_migrated_from_v0(tmp_path):
    db = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    assert version_of(db) == 0
    assert migrate(db) == (0, SCHEMA_VERSION)
    assert version_of(db) == SCHEMA_VERSION
    assert {"documents", "claims", "claim_vectors", "judgements", "stories", "sources"} <= {
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_migration_upgrades_and_keeps_data(tmp_path):
    """A fake v0 -> v1 (a file laid out by an older checker) and a fake v1 -> v2 upgrade."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)

    def fake_v1(c):  # "version 1" of an imaginary older layout
        c.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, name TEXT)")

    def fake_v2(c):
        c.execute("ALTER TABLE documents ADD COLUMN outlet TEXT")
        c.execute("UPDATE documents SET outlet = 'unknown'")

    assert migrate(db, target=1, migrations={1: fake_v1}) == (0, 1)
    db.execute("INSERT INTO documents (name) VALUES ('a.txt')")
    assert migrate(db, target=2, migrations={1: fake_v1, 2: fake_v2}) == (1, 2)
    assert db.execute("SELECT name, outlet FROM documents").fetchall() == [("a.txt", "unknown")]
    assert version_of(db) == 2

    def broken_v3(c):
        c.execute("ALTER TABLE documents ADD COLUMN title TEXT")
        raise RuntimeError("half way")

    with pytest.raises(RuntimeError):
        migrate(db, target=3, migrations={1: fake_v1, 2: fake_v2, 3: broken_v3})
    assert version_of(db) == 2  # rolled back: no version bump, no half-added column
    assert "title" not in {r[1] for r in db.execute("PRAGMA table_info(documents)")}


def test_store_refuses_newer_or_foreign_files(tmp_path):
    st = SQLiteStore(tmp_path / "a.db")
    st.db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    st.close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(tmp_path / "a.db")
    other = sqlite3.connect(tmp_path / "b.db")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    with pytest.raises(StoreError, match="not a checker store"):
        SQLiteStore(tmp_path / "b.db")
    assert MIGRATIONS.keys() == set(range(1, SCHEMA_VERSION + 1))


def test_constrained_average_linkage():
    # new items 0, 1, 2; stored members 3, 4 (story 7) and 5 (story 9)
    d = np.full((6, 6), 0.9)
    np.fill_diagonal(d, 0)
    d[0, 1] = d[1, 0] = 0.2  # 0 and 1 belong together
    d[0, 3] = d[3, 0] = d[0, 4] = d[4, 0] = 0.5  # ... with story 7 (average over its members)
    d[1, 3] = d[3, 1] = d[1, 4] = d[4, 1] = 0.6
    d[2, 5] = d[5, 2] = 0.3
    d[2, 3] = d[3, 2] = 0.1  # near one member of story 7, far from the other: average 0.5
    assert constrained_average_linkage(d, 3, [7, 7, 9], 0.75) == [7, 7, 9]
    # a new item between two stored stories joins one; the stories never merge
    assert constrained_average_linkage(d, 3, [7, 7, 9], 0.95) in ([7, 7, 7], [7, 7, 9])
    # far from everything: a new group
    far = np.full((3, 3), 0.99)
    np.fill_diagonal(far, 0)
    labels = constrained_average_linkage(far, 2, [5], 0.75)
    assert labels[0] < 0 and labels[1] < 0 and labels[0] != labels[1]


# ------------------------------------------------------------------ with the models

def test_one_add_gives_the_one_shot_report(corpus, one_add):
    """One pipeline: the one-shot run and one `add` into an empty store share every stage
    function, and here (no reference, fewer articles than a window) their reports are byte-identical."""
    st, counts, stored = one_add
    assert counts["added"] == 6 and counts["new_stories"] == 2
    one_shot = checker.run([corpus], config=cfg())
    assert rendered(stored) == rendered(one_shot)
    assert findings(stored), "the corpus should give contradictions"
    assert st.integrity() == "ok"


def test_same_file_twice_is_a_no_op(corpus, one_add):
    st, _, _ = one_add
    before = st.counts()
    counts = add([corpus], st, cfg())
    assert counts["added"] == 0 and counts["unchanged_files"] == 6
    counts = add([corpus / "trade" / "wire.md", corpus / "trade"], st, cfg())  # a file given twice, in a folder
    assert counts["added"] == 0 and counts["unchanged_files"] == 3
    assert st.counts() == before


def test_changed_file_replaces_its_old_version(tmp_path, nlp, embedder, nli):
    d = write(tmp_path / "in", TRADE)
    st = SQLiteStore(":memory:")
    add([d], st, cfg())
    old_ids = {r[0] for r in st.db.execute("SELECT c.id FROM claims c JOIN documents d ON d.id = c.doc "
                                            "WHERE d.name = 'shanghai.txt'")}
    assert old_ids and st.db.execute("SELECT count(*) FROM judgements WHERE a IN (%s) OR b IN (%s)" % (
        ",".join(map(str, old_ids)), ",".join(map(str, old_ids)))).fetchone()[0] > 0
    (d / "trade" / "shanghai.txt").write_text(TRADE["trade/shanghai.txt"].replace("Twelve", "Eleven"), encoding="utf-8")
    counts = add([d], st, cfg())
    assert (counts["replaced"], counts["added"], counts["unchanged_files"]) == (1, 1, 2)
    names = [r[0] for r in st.db.execute("SELECT name FROM documents ORDER BY name")]
    assert names == ["beijing.txt", "shanghai.txt", "wire.md"]  # once, under its old name
    q = ",".join(map(str, old_ids))
    assert st.db.execute(f"SELECT count(*) FROM claims WHERE id IN ({q})").fetchone()[0] == 0
    assert st.db.execute(f"SELECT count(*) FROM judgements WHERE a IN ({q}) OR b IN ({q})").fetchone()[0] == 0
    texts = " ".join(c.text for c in load_result(st, cfg()).claims)
    assert "Eleven officials" in texts and "Twelve" not in texts
    # the same content under another path is already stored
    (d / "copy.txt").write_text(TRADE["trade/beijing.txt"], encoding="utf-8")
    counts = add([d], st, cfg())
    assert (counts["added"], counts["already_stored"]) == (0, 1)
    assert st.integrity() == "ok"


def test_read_filters(one_add, tmp_path):
    st, _, full = one_add
    stories = {s.title: s.id for s in full.stories}
    flood = load_result(st, cfg(), story=stories["Floods hit Kessel"])
    assert {d.name for d in flood.documents} == {"herald.jsonl#herald", "gazette.jsonl#gazette", "courier.jsonl#courier"}
    assert {d.outlet for d in flood.documents} == {"Herald", "Gazette", "Courier"}
    herald = load_result(st, cfg(), outlet="herald")
    assert {d.outlet for d in herald.documents} >= {"Herald"}
    # the other side of each finding comes along; every judgement touches a Herald claim
    heralds = {c.id for c in herald.claims if herald.document(c.doc).outlet == "Herald"}
    assert herald.judgements and all(j.a in heralds or j.b in heralds for j in herald.judgements)
    dated = load_result(st, cfg(), date_from="2024-03-05", date_to="2024-03-05")
    assert {d.outlet for d in dated.documents if d.outlet} >= {"Gazette"}
    assert dated.judgements and all("gazette" in j.a + j.b for j in dated.judgements)
    assert load_result(st, cfg(), since="2999-01-01T00:00:00+00:00").documents == []
    # the CLI: filters, and the store file read back
    out = tmp_path / "c.json"
    r = CliRunner().invoke(app, ["contradictions", "--store", st.path, "--outlet", "Gazette", "--format", "json",
                                 "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["contradictions"] and all("Gazette" in (f["a"]["outlet"], f["b"]["outlet"]) for f in data["contradictions"])
    r = CliRunner().invoke(app, ["report", "--store", st.path, "--since", "yesterday"])
    assert r.exit_code == 2 and "--since" in r.output
    r = CliRunner().invoke(app, ["report", str(tmp_path), "--store", st.path])
    assert r.exit_code == 2 and "not both" in r.output
    r = CliRunner().invoke(app, ["report", str(tmp_path), "--outlet", "x"])
    assert r.exit_code == 2 and "--store" in r.output


def test_a_store_is_reported_one_story_at_a_time(one_add):
    """`checker contradictions/report --store` read a story at a time (judgements never cross
    stories): the same report as the whole store read at once, filters included, holding one
    story's claims at a time."""
    from checker.store import story_results

    st, _, whole = one_add
    parts = list(story_results(st, cfg()))
    assert len(parts) == 2 and all(len(p.stories) == 1 for p in parts)
    assert max(len(p.claims) for p in parts) < len(whole.claims)
    assert report.report_stream(parts) == report.report_dict(whole)
    brief = report.report_stream(story_results(st, cfg()), brief=True)
    for fmt in ("json", "markdown", "text"):
        assert report.render_data(brief, "contradictions", fmt) == report.render(whole, "contradictions", fmt)
    for kind in ("report", "contradictions"):  # the JSON a store read writes piece by piece: the same text
        data = report.report_stream(story_results(st, cfg()))
        assert "".join(report.json_chunks(report.json_view(data, kind), size=64)) == report.render(whole, kind, "json")
    only = report.report_stream(story_results(st, cfg()), keys=("contradictions",))  # what the text list needs
    assert set(only) == {"contradictions", "thresholds", "problems"}
    assert report.render_data(only, "contradictions", "text") == report.render(whole, "contradictions", "text")
    for filters in ({"outlet": "gazette"}, {"date_from": "2024-03-05"}, {"story": whole.stories[1].id}):
        assert report.report_stream(story_results(st, cfg(), **filters)) == report.report_dict(load_result(st, cfg(), **filters))


def test_several_adds_against_one_add(corpus, one_add, tmp_path):
    """Story by story: the same report as one add. Article by article (each joins a stored
    story): the same stories and the same contradictions; the judged pairs may differ (README)."""
    _, _, once = one_add
    st = SQLiteStore(tmp_path / "by_story.db")
    add([corpus / "trade"], st, cfg())
    add([corpus / "flood"], st, cfg())
    assert same_up_to_story_ids(load_result(st, cfg())) == same_up_to_story_ids(once)
    st = SQLiteStore(tmp_path / "by_article.db")
    for name in sorted(ARTICLES):
        add([corpus / name], st, cfg())
    each = load_result(st, cfg())
    assert sorted(s.docs for s in each.stories) == sorted(s.docs for s in once.stories)
    assert findings(each) == findings(once)


def test_kill_9_during_add_then_rerun(tmp_path, nlp, embedder, nli):
    src = write(tmp_path / "in", ARTICLES)
    db = tmp_path / "news.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "checker", "add", str(src), "--store", str(db), "--window", "1", "-q"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stored, deadline = 0, time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                stored = con.execute("SELECT count(*) FROM documents").fetchone()[0]
                con.close()
            except sqlite3.OperationalError:
                stored = 0
            if stored >= 1:
                break
        time.sleep(0.02)
    assert proc.poll() is None, f"add ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    st = SQLiteStore(db)
    assert st.integrity() == "ok"
    killed_at = st.counts()["documents"]
    assert 1 <= killed_at < len(ARTICLES)
    counts = add([src], st, cfg())
    assert counts["added"] == len(ARTICLES) - killed_at
    assert st.integrity() == "ok"
    names = [r[0] for r in st.db.execute("SELECT name FROM documents")]
    assert len(names) == len(set(names)) == len(ARTICLES)
    assert st.db.execute("SELECT count(*) FROM documents d WHERE NOT EXISTS "
                         "(SELECT 1 FROM claims c WHERE c.doc = d.id)").fetchone()[0] == 0
    assert st.db.execute("SELECT count(*) FROM sources").fetchone()[0] == len(ARTICLES)
    assert len(st.article_index()) == st.db.execute("SELECT count(*) FROM documents WHERE dup_of IS NULL").fetchone()[0]
    assert add([src], st, cfg())["added"] == 0


def test_ann_index_is_rebuilt_when_stale(one_add):
    st, _, _ = one_add
    ids = set(st.representative_ids().tolist())
    st.save_index()
    st.close()
    path = Path(st.path + ".articles.ann")
    path.write_bytes(b"not an index")
    st2 = SQLiteStore(st.path)
    assert set(st2.article_index().keys().tolist()) == ids
    st2.delete_documents([min(ids)])
    assert set(st2.article_index().keys().tolist()) == ids - {min(ids)}
    st2.close()


def test_stored_story_pairs_are_bounded_like_one_run():
    """A new article of a stored story of near-copies: its claim pairs with the earliest copy of
    each distinct statement of its cluster (at most max_mates_per_claim) and its nearest
    neighbours, not with every copy; with the bound off, with every copy (the rule before)."""
    from dataclasses import replace

    from checker.config import Config
    from checker.store.incremental import stored_story_pairs

    rng = np.random.default_rng(0)
    base = rng.normal(size=32)
    base /= np.linalg.norm(base)
    copies = 30
    texts = ["The bridge will reopen on Monday, officials said."] * copies
    vecs = np.stack([base] * copies).astype(np.float32)
    sc = {"rows": np.arange(100, 100 + copies), "docs": np.arange(copies), "groups": np.arange(copies),
          "clusters": np.zeros(copies, dtype=np.int64), "vectors": vecs, "texts": texts,
          "nn": [np.ones(8, dtype=np.float32)] * copies}  # each stored claim's 8 best cosines: 1.0 (its copies)
    v = base + 0.05 * rng.normal(size=32)
    new = (v / np.linalg.norm(v)).astype(np.float32)[None, :]
    cfg = Config(progress=False)
    nxt = iter(range(1, 100))
    pairs, clusters, nn, _ = stored_story_pairs(sc, None, new, [texts[0].replace("Monday", "Tuesday")], lambda: next(nxt), cfg)
    assert clusters == [0]  # it joins the copies' cluster
    rows = [r for r, _, _ in pairs]
    assert 100 in rows and len(rows) <= cfg.max_pairs_per_claim + 1  # the earliest copy, + its 8 neighbours
    nxt = iter(range(1, 100))
    every, _, _, _ = stored_story_pairs(sc, None, new, [texts[0].replace("Monday", "Tuesday")], lambda: next(nxt),
                                      replace(cfg, max_mates_per_claim=None))
    assert len(every) == copies


def test_a_stored_statement_repeated_pairs_once_with_its_first_copy():
    """A new article repeating a stored sentence (30 stored copies, near-equal vectors as batches
    give them): one same-text pair, with the earliest copy, and no stored copy's neighbour list
    takes it in; its neighbour slots go to other statements."""
    from checker.config import Config
    from checker.store.incremental import stored_story_pairs

    rng = np.random.default_rng(1)
    base = rng.normal(size=32)
    base /= np.linalg.norm(base)
    copies = 30
    text = "Scroll down for video."
    vecs = np.stack([base + 1e-4 * rng.normal(size=32) for _ in range(copies)])
    other = base + 0.15 * rng.normal(size=32)  # cosine ~0.75 with the copies
    vecs = np.vstack([vecs, other]).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    sc = {"rows": np.arange(100, 100 + copies + 1), "docs": np.arange(copies + 1), "groups": np.arange(copies + 1),
          "clusters": np.zeros(copies + 1, dtype=np.int64), "vectors": vecs, "texts": [text] * copies + ["Other news."],
          "nn": [np.full(8, 0.5, dtype=np.float32)] * (copies + 1)}
    new = (base + 1e-4 * rng.normal(size=32)).astype(np.float32)
    new /= np.linalg.norm(new)
    cfg = Config(progress=False)
    pairs, _, nn, updates = stored_story_pairs(sc, None, new[None, :], [text], lambda: 1, cfg)
    rows = [r for r, _, _ in pairs]
    assert rows == [100, 100 + copies]  # its first copy, and the other statement
    assert list(updates) == [100 + copies]  # no copy's neighbour list changes
    assert len(nn[0]) == 1


def test_a_stored_claim_text_is_not_embedded_again(tmp_path, nlp, embedder, nli):
    """One text, one vector in a store: an article repeating stored sentences takes their stored
    vectors; only its new texts are encoded. A v1 store gets the text index by migration."""
    d = write(tmp_path / "in", TRADE)
    db = sqlite3.connect(str(tmp_path / "v1.db"))
    migrate(db, target=1)
    db.close()
    st = SQLiteStore(tmp_path / "v1.db")
    assert version_of(st.db) == SCHEMA_VERSION
    assert st.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'claims_text'").fetchone()
    first = add([d / "trade" / "beijing.txt"], st, cfg())
    assert first["embedded"] == first["claims"] > 0
    (d / "repeat.txt").write_text(TRADE["trade/beijing.txt"].replace("Ten officials", "Nine officials"), encoding="utf-8")
    again = add([d / "repeat.txt"], st, cfg())
    assert 0 < again["embedded"] < again["claims"]
    rows = st.db.execute("SELECT c.text, v.vector FROM claims c JOIN claim_vectors v ON v.claim = c.id").fetchall()
    by_text: dict = {}
    for t, v in rows:
        by_text.setdefault(t, set()).add(v)
    assert any(len(v) == 1 for t, v in by_text.items() if sum(r[0] == t for r in rows) > 1)
    assert all(len(v) == 1 for v in by_text.values())  # one text, one vector


def _forget(nlp, nli) -> None:
    """A new process: nothing kept in memory by earlier parses, facts or NLI calls."""
    import checker.claims
    import checker.compare

    checker.claims._parse_memo.pop(nlp, None)
    checker.compare._facts_cache.pop(nlp, None)
    nli._cache.clear()


def test_a_later_add_reads_parses_facts_and_nli_from_the_store(tmp_path, monkeypatch, nlp, embedder):
    """The store keeps what was computed from text alone (a paragraph's parse, a claim's facts, NLI
    probabilities in bf16): a later add, in a new process, computes only what is new (here the
    flood articles and the one edited paragraph), and the store holds the same rows as one built
    without the cache."""
    import checker.claims
    import checker.compare
    from checker.config import apply_precision
    from checker.store.sqlite import store_rows

    from checker.nli import load_nli

    c = cfg()
    nli = load_nli(c.nli_model, max_length=c.nli_max_length, allow_download=c.allow_download)  # the one add uses
    d = write(tmp_path / "in", ARTICLES)
    (d / "edit.txt").write_text(TRADE["trade/beijing.txt"].replace("Ten officials", "Nine officials"), encoding="utf-8")
    parsed, faced, forwards = [], [], [0]
    real_parse, real_facts, real_forward = checker.claims.parse_pieces, checker.compare.facts, nli._forward

    def parse(texts, nlp_):
        parsed.extend(texts)
        return real_parse(texts, nlp_)

    def facts(doc, date=None):
        faced.append(doc.text)
        return real_facts(doc, date)

    def forward(enc):
        forwards[0] += len(enc["input_ids"])
        return real_forward(enc)
    monkeypatch.setattr(checker.claims, "parse_pieces", parse)
    monkeypatch.setattr(checker.compare, "facts", facts)
    monkeypatch.setattr(nli, "_forward", forward)
    bf16 = apply_precision(cfg()) == "bf16"  # what add will set

    def build(path, cached: bool):
        st = SQLiteStore(path)
        if not cached:
            monkeypatch.setattr(st, "cache", lambda: None)
        _forget(nlp, nli)
        add([d / "trade"], st, cfg())
        first = (list(parsed), list(faced), forwards[0])
        parsed.clear(), faced.clear()
        forwards[0] = 0
        _forget(nlp, nli)
        add([d / "flood", d / "edit.txt"], st, cfg())
        st.close()
        return first, (list(parsed), list(faced), forwards[0])

    (p1, f1, n1), (p2, f2, n2) = build(tmp_path / "cached.db", True)
    sizes = SQLiteStore(tmp_path / "cached.db").cache().size()
    assert {k.split(":")[0] for k in sizes} == ({"parse", "facts", "nli"} if bf16 else {"parse", "facts"})
    # the second add parsed only the pieces the first had not: the flood articles and the edited paragraph
    assert p2 and not set(p2) & set(p1)
    assert [t for t in p2 if "officials" in t] == [t for t in p2 if "Nine officials" in t] and any("Nine" in t for t in p2)
    assert not set(f2) & set(f1)  # no stored claim's facts parsed again
    parsed.clear(), faced.clear()
    forwards[0] = 0
    (q1, g1, m1), (q2, g2, m2) = build(tmp_path / "plain.db", False)
    assert (q1, g1, m1) == (p1, f1, n1) and len(q2) > len(p2) and len(g2) > len(f2)
    assert m2 > n2 if bf16 else m2 == n2  # NLI results are kept only where they do not depend on the batch
    a, b = store_rows(tmp_path / "cached.db"), store_rows(tmp_path / "plain.db")
    assert a == b


def test_stored_facts_and_parses_read_back_equal(nlp):
    """What the cache stores reads back as the same objects (every field of ClaimFacts; parses
    with their raw claims and speakers)."""
    from checker.claims import dump_parse, load_parse, parse_pieces
    from checker.compare import claim_facts
    from checker.signals import dump_facts, load_facts

    texts = ["Tom Smith, 75, said on Monday that the ministry did not pay the $1.5 million owed since March 2020.",
             "Without Rojo, Van Gaal will field 11 players in 2024, and the club said it was ready."]
    for f in claim_facts(nlp, [(t, "2024-03-04") for t in texts] + [(texts[0], None)]):
        assert load_facts(dump_facts(f)) == f
    parses = parse_pieces(texts, nlp)
    assert all(load_parse(dump_parse(p)) == p for p in parses)
    assert any(c.speaker for p in parses for s in p for c in s.claims)


def test_cache_rows_of_older_code_are_dropped(tmp_path):
    """A namespace of another version of the same kind is deleted when a new one is used."""
    st = SQLiteStore(tmp_path / "c.db")
    old = st.cache().namespace("parse:old", bytes, bytes)
    old.put_many({"a": b"1", ("b", "c"): b"2"})
    assert old.get_many(["a", ("b", "c"), "z"]) == {"a": b"1", ("b", "c"): b"2"}
    st.cache().namespace("facts:x", bytes, bytes).put_many({"a": b"3"})
    st.close()
    st = SQLiteStore(tmp_path / "c.db")
    new = st.cache().namespace("parse:new", bytes, bytes)
    assert new.get_many(["a"]) == {} and st.cache().size() == {"facts:x": 1}
