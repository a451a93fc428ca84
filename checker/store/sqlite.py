"""The store in one SQLite file (``:memory:`` for a store that lives as long as the object).

Every article goes in with one :meth:`SQLiteStore.commit_article` call: its document row, sentences,
claims, claim vectors, story, its judgements against what was stored before it, and the updated
neighbour lists of the stored claims it was paired with, in one transaction. A process killed
(``kill -9``) mid-``add`` leaves every committed article whole and nothing of the others; the next
``add`` of the same files skips what is stored and finishes the rest.

The approximate-nearest-neighbour index of article vectors (:mod:`checker.store.ann`) is a cache
kept beside the file (``<file>.articles.ann``): rebuilt or brought up to date from the
``documents`` table when it is missing, stale or unreadable.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..records import Claim, Document, Judgement, Sentence, Signal
from .schema import SCHEMA_VERSION, SchemaError, migrate

__all__ = ["SQLiteStore", "ArticleRecord", "SchemaError", "SCHEMA_VERSION"]


def _blob(v: np.ndarray | None) -> bytes | None:
    return None if v is None else np.ascontiguousarray(v, dtype=np.float32).tobytes()


def _vec(b: bytes | None) -> np.ndarray | None:
    return None if b is None else np.frombuffer(b, dtype=np.float32)


@dataclass
class ArticleRecord:
    """Everything one article adds to the store (one transaction)."""

    doc: Document
    key: str
    source: str  # resolved path of its file
    text_key: str
    sentences: list[Sentence]
    claims: list[Claim]
    vectors: np.ndarray  # one unit vector per claim
    clusters: list[int]  # claim cluster id per claim
    nn: list[np.ndarray]  # per claim: cosines of its best candidates so far (float32)
    vector: np.ndarray | None  # article vector (None: no claims)
    story: int  # its story id (a new story is created with the article's title)
    dup_of: int | None
    judgements: list[Judgement]  # a/b are claim ids (Claim.id) of stored claims or of ``claims``
    nn_updates: dict[int, np.ndarray] = field(default_factory=dict)  # stored claim row id -> new nn list
    source_sha256: str | None = None  # set: the file is complete with this article (sources row written)


IN_CHUNK = 500  # values per "IN (...)" list (old SQLite builds allow 999 host parameters per statement)


def _rows_in(db, sql: str, values, repeat: int = 1, args: tuple = ()):
    """The rows of ``sql`` over ``values``, IN_CHUNK at a time: each ``{q}`` in ``sql`` (there are
    ``repeat``) becomes the chunk's placeholder list; ``args`` bind the placeholders before them."""
    values = list(values)
    for k in range(0, len(values), IN_CHUNK):
        part = values[k:k + IN_CHUNK]
        yield from db.execute(sql.replace("{q}", ",".join("?" * len(part))), [*args, *part * repeat])


class SQLiteStore:
    """A checker store in one SQLite file. ``SQLiteStore(":memory:")`` keeps it in memory."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self.memory = self.path == ":memory:"
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA foreign_keys = ON")
        if not self.memory:
            self.db.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
            self.db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        self.db.execute("PRAGMA busy_timeout = 30000")
        try:
            self.schema = migrate(self.db)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise SchemaError(f"not a checker store: {exc}") from exc
        self._index = None

    # ---------------------------------------------------------------- housekeeping
    @contextmanager
    def writing(self):
        """Hold the store's write lock (one ``add`` at a time per file): ids of new stories and
        clusters are allocated before their rows are written."""
        if self.memory:
            yield
            return
        import fcntl

        with open(self.path + ".lock", "a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise SchemaError("another `checker add` is writing to this store") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def close(self) -> None:
        self.save_index()
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def cache(self):
        """The store's :class:`checker.store.cache.StoreCache` (None for an in-memory store: what
        it keeps would end with the run)."""
        if self.memory:
            return None
        if getattr(self, "_cache", None) is None:
            from .cache import StoreCache

            self._cache = StoreCache(self.db)
        return self._cache

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value))

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    def counts(self) -> dict[str, int]:
        return {t: self.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("documents", "stories", "sentences", "claims", "judgements")}

    # ---------------------------------------------------------------- the article index
    def article_index(self):
        """The ANN index of the representative articles' vectors, in step with the table."""
        if self._index is None:
            from .ann import VectorIndex

            self._index = VectorIndex(None if self.memory else self.path + ".articles.ann")
        have = self.representative_ids()
        ids, vecs = self.representative_vectors(self._index.missing_from(have))
        self._index.sync(have, ids, vecs)
        return self._index

    def representative_ids(self) -> np.ndarray:
        rows = self.db.execute("SELECT id FROM documents WHERE dup_of IS NULL AND vector IS NOT NULL").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def representative_vectors(self, ids) -> tuple[np.ndarray, np.ndarray]:
        ids = [int(i) for i in ids]
        out = list(_rows_in(self.db, "SELECT id, vector FROM documents WHERE id IN ({q}) ORDER BY id", ids))
        if not out:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32)
        return np.array([r[0] for r in out], dtype=np.int64), np.stack([_vec(r[1]) for r in out])

    def save_index(self) -> None:
        if self._index is not None and not self.memory:
            self._index.save()

    # ---------------------------------------------------------------- what is stored
    def source_hash(self, path: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM sources WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def set_source(self, path: str, sha256: str) -> None:
        self.db.execute("INSERT INTO sources (path, sha256) VALUES (?, ?) ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256",
                        (path, sha256))

    def documents_of_source(self, source: str) -> list[tuple[int, str, str]]:
        """(id, key, name) of the documents read from this file."""
        return self.db.execute("SELECT id, key, name FROM documents WHERE source = ? ORDER BY id", (source,)).fetchall()

    def document_by_key(self, key: str) -> tuple[int, str] | None:
        return self.db.execute("SELECT id, name FROM documents WHERE key = ?", (key,)).fetchone()

    def has_name(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM documents WHERE name = ?", (name,)).fetchone() is not None

    def dates(self, names) -> dict[str, str | None]:
        return dict(_rows_in(self.db, "SELECT name, date FROM documents WHERE name IN ({q})", sorted(set(names))))

    def statements(self, names) -> dict[str, list[str]]:
        """Document name -> the texts it states itself: its sentences and its unattributed
        claims (see :func:`checker.compare.stated_keys`)."""
        out: dict[str, list[str]] = {}
        for name, text in _rows_in(
                self.db, "SELECT d.name, s.text FROM sentences s JOIN documents d ON d.id = s.doc WHERE d.name IN ({q}) "
                "UNION ALL SELECT d.name, c.text FROM claims c JOIN documents d ON d.id = c.doc "
                "WHERE d.name IN ({q}) AND c.speaker IS NULL", sorted(set(names)), repeat=2):
            out.setdefault(name, []).append(text)
        return out

    def representative_of(self, text_key: str) -> tuple[int, int] | None:
        """(id, story) of the stored article whose text is ``text_key`` (the first one stored)."""
        return self.db.execute("SELECT id, story FROM documents WHERE text_key = ? AND dup_of IS NULL ORDER BY id LIMIT 1",
                               (text_key,)).fetchone()

    def stories_of(self, doc_ids) -> dict[int, int]:
        ids = [int(i) for i in doc_ids]
        if not ids:
            return {}
        q = ",".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, story FROM documents WHERE id IN ({q})", ids).fetchall())

    def story_members(self, story: int) -> list[tuple[int, np.ndarray]]:
        """(id, article vector) of a story's representative articles, in the order they were stored."""
        rows = self.db.execute("SELECT id, vector FROM documents WHERE story = ? AND dup_of IS NULL AND vector IS NOT NULL "
                               "ORDER BY id", (story,)).fetchall()
        return [(r[0], _vec(r[1])) for r in rows]

    def story_claims(self, story: int) -> dict:
        """Every claim of a story, as arrays: "rows" (claim row ids), "docs", "groups" (the
        article, or the article it duplicates), "clusters", "vectors", and lists "nn" and "texts"."""
        rows = self.db.execute(
            "SELECT c.id, c.doc, coalesce(d.dup_of, d.id), c.cluster, v.vector, v.nn, c.text FROM claims c "
            "JOIN documents d ON d.id = c.doc JOIN claim_vectors v ON v.claim = c.id WHERE d.story = ? ORDER BY c.id",
            (story,)).fetchall()
        out = {k: np.array([r[x] for r in rows], dtype=np.int64) for x, k in enumerate(("rows", "docs", "groups", "clusters"))}
        out["vectors"] = np.stack([_vec(r[4]) for r in rows]) if rows else np.zeros((0, 1), dtype=np.float32)
        out["nn"] = [_vec(r[5]) for r in rows]
        out["texts"] = [r[6] for r in rows]
        return out

    def vectors_of_texts(self, texts) -> dict[str, np.ndarray]:
        """Text -> the vector stored for a claim with exactly that text (the first one stored):
        a text repeated in a later article is not embedded again."""
        return {t: _vec(v) for t, v in _rows_in(
            self.db, "SELECT c.text, v.vector FROM claims c JOIN claim_vectors v ON v.claim = c.id WHERE c.id IN "
            "(SELECT min(id) FROM claims WHERE text IN ({q}) GROUP BY text)", texts)}

    def next_story_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id) + 1, 0) FROM stories").fetchone()[0]

    def next_cluster_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(cluster) + 1, 0) FROM claims").fetchone()[0]

    def claim_clusters(self, where: str = "1", args: tuple = ()) -> dict[str, int]:
        """Claim id -> cluster id."""
        return dict(self.db.execute(f"SELECT cid, cluster FROM claims c WHERE {where}", args).fetchall())

    def documents(self, ids) -> list[Document]:
        ids = [int(i) for i in ids]
        out: dict[int, Document] = {}
        for r in _rows_in(self.db, "SELECT id, name, path, role, fmt, title, line, outlet, date, date_source, text, "
                          "removed FROM documents WHERE id IN ({q})", ids):
            out[r[0]] = Document(name=r[1], path=r[2], role=r[3], fmt=r[4], raw="", text=r[10], offsets=(),
                                 title=r[5], line=r[6], removed=tuple(tuple(x) for x in json.loads(r[11])),
                                 outlet=r[7], date=r[8], date_source=r[9])
        return [out[i] for i in ids if i in out]

    def claims(self, where: str, args: tuple = (), vectors: bool = True) -> tuple[list[int], list[Claim], np.ndarray | None]:
        """(row ids, claims, vectors) of the claims matching an SQL condition on ``c`` (claims),
        ``d`` (documents) and ``s`` (sentences), in document then claim order (``vectors`` False:
        None for the vectors, which are then not read)."""
        vec = "v.vector" if vectors else "NULL"
        rows = self.db.execute(
            f"SELECT c.id, c.cid, d.name, c.role, c.text, c.speaker, c.kind, s.seq, s.text, s.start, s.end, {vec} "
            "FROM claims c JOIN documents d ON d.id = c.doc JOIN sentences s ON s.id = c.sentence "
            + ("JOIN claim_vectors v ON v.claim = c.id " if vectors else "")
            + f"WHERE {where} ORDER BY c.doc, c.id", args).fetchall()
        claims = []
        for r in rows:
            sent = Sentence(id=f"{r[2]}:{r[7]}", doc=r[2], text=r[8], start=r[9], end=r[10])
            claims.append(Claim(id=r[1], doc=r[2], role=r[3], text=r[4], sentence=sent, speaker=r[5], kind=r[6]))
        if not vectors:
            return [r[0] for r in rows], claims, None
        vecs = np.stack([_vec(r[11]) for r in rows]) if rows else np.zeros((0, 1), dtype=np.float32)
        return [r[0] for r in rows], claims, vecs

    def claims_by_row(self, ids, vectors: bool = True) -> tuple[list[int], list[Claim], np.ndarray | None]:
        ids = sorted({int(i) for i in ids})
        if not ids:
            return [], [], np.zeros((0, 1), dtype=np.float32) if vectors else None
        q = ",".join("?" * len(ids))
        return self.claims(f"c.id IN ({q})", tuple(ids), vectors=vectors)

    # ---------------------------------------------------------------- writing
    def delete_documents(self, ids) -> int:
        """Delete documents with their sentences, claims, vectors and judgements (one transaction);
        stories left without an article go too. Returns how many were deleted."""
        ids = [int(i) for i in ids]
        if not ids:
            return 0
        q = ",".join("?" * len(ids))
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(f"DELETE FROM documents WHERE id IN ({q})", ids)
            self.db.execute("DELETE FROM stories WHERE id NOT IN (SELECT story FROM documents WHERE story IS NOT NULL)")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return len(ids)

    def commit_article(self, rec: ArticleRecord) -> int:
        """Store one article and everything computed for it in one transaction; returns its id."""
        db = self.db
        d = rec.doc
        db.execute("BEGIN IMMEDIATE")
        try:
            story = rec.story
            db.execute("INSERT OR IGNORE INTO stories (id, title) VALUES (?, ?)", (story, d.title))
            if d.title:
                db.execute("UPDATE stories SET title = ? WHERE id = ? AND title IS NULL", (d.title, story))
            doc_id = db.execute(
                "INSERT INTO documents (key, name, source, path, role, fmt, title, line, outlet, date, date_source, text, "
                "removed, text_key, dup_of, story, vector, added) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (rec.key, d.name, rec.source, d.path, d.role, d.fmt, d.title, d.line, d.outlet, d.date, d.date_source,
                 d.text, json.dumps([list(x) for x in d.removed]), rec.text_key, rec.dup_of, story, _blob(rec.vector),
                 datetime.now(timezone.utc).isoformat(timespec="microseconds"))).lastrowid
            sent_row = {}
            for k, s in enumerate(rec.sentences):
                sent_row[s.id] = db.execute("INSERT INTO sentences (doc, seq, text, start, end) VALUES (?,?,?,?,?)",
                                            (doc_id, int(s.id.rsplit(":", 1)[1]), s.text, s.start, s.end)).lastrowid
            claim_row = {}
            for c, v, nn, cl in zip(rec.claims, rec.vectors, rec.nn, rec.clusters):
                cr = db.execute("INSERT INTO claims (doc, sentence, cid, role, text, speaker, kind, cluster) "
                                "VALUES (?,?,?,?,?,?,?,?)", (doc_id, sent_row[c.sentence.id], c.id, c.role, c.text,
                                                             c.speaker, c.kind, int(cl))).lastrowid
                db.execute("INSERT INTO claim_vectors (claim, vector, nn) VALUES (?,?,?)", (cr, _blob(v), _blob(nn)))
                claim_row[c.id] = cr
            for row, nn in rec.nn_updates.items():
                db.execute("UPDATE claim_vectors SET nn = ? WHERE claim = ?", (_blob(nn), int(row)))
            if rec.judgements:
                cids = {j.a for j in rec.judgements} | {j.b for j in rec.judgements}
                missing = [c for c in cids if c not in claim_row]
                claim_row.update({cid: cr for cr, cid in _rows_in(db, "SELECT id, cid FROM claims WHERE cid IN ({q})", missing)})
                db.executemany(
                    "INSERT INTO judgements (a, b, story, label, similarity, p_entail_ab, p_neutral_ab, p_contra_ab, "
                    "p_entail_ba, p_neutral_ba, p_contra_ba, contradiction, corroboration, kind, event, signals) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(a, b) DO NOTHING",
                    [(claim_row[j.a], claim_row[j.b], story, j.label, j.similarity, j.p_entail_ab, j.p_neutral_ab,
                      j.p_contra_ab, j.p_entail_ba, j.p_neutral_ba, j.p_contra_ba, j.contradiction, j.corroboration,
                      j.kind, j.event, json.dumps([[s.name, s.detail] for s in j.signals])) for j in rec.judgements])
            if rec.source_sha256 is not None:
                self.set_source(rec.source, rec.source_sha256)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if self._index is not None and rec.dup_of is None and rec.vector is not None:
            self._index.add([doc_id], rec.vector[None, :])
        return doc_id

    # ---------------------------------------------------------------- reading
    def select_documents(self, story: int | None = None, outlet: str | None = None, since: str | None = None,
                         date_from: str | None = None, date_to: str | None = None) -> list[int]:
        """Ids of the documents that pass every given filter (None: no filter)."""
        given = [(c, v) for c, v in (("story = ?", story), ("lower(outlet) = lower(?)", outlet),
                                      ("added >= ?", since), ("date >= ?", date_from),
                                      ("date IS NOT NULL AND substr(date, 1, 10) <= ?", date_to)) if v is not None]
        cond, args = [c for c, _ in given], [v for _, v in given]
        where = " AND ".join(cond) or "1"
        return [r[0] for r in self.db.execute(f"SELECT id FROM documents WHERE {where} ORDER BY id", args)]

    def _selection(self, doc_ids) -> None:
        """Put ``doc_ids`` in the connection's temporary selection table ``_sel``."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS _sel (id INTEGER PRIMARY KEY)")
        self.db.execute("DELETE FROM _sel")
        self.db.executemany("INSERT INTO _sel (id) VALUES (?)", [(int(i),) for i in sorted(set(doc_ids))])

    # judgements with a side among the documents of _sel: by a (the (a, b) index), then by b
    # (judgements_b) where a is not among them (each row once; an OR would scan every judgement)
    _TOUCHING = ("FROM judgements j JOIN claims ca ON ca.id = j.a JOIN claims cb ON cb.id = j.b "
                 "WHERE j.a IN (SELECT id FROM claims WHERE doc IN (SELECT id FROM _sel)) UNION ALL SELECT {cols} "
                 "FROM judgements j JOIN claims ca ON ca.id = j.a JOIN claims cb ON cb.id = j.b "
                 "WHERE j.b IN (SELECT id FROM claims WHERE doc IN (SELECT id FROM _sel)) "
                 "AND ca.doc NOT IN (SELECT id FROM _sel)")

    def judgements_touching(self, doc_ids) -> list[Judgement]:
        """Every judgement with a side in ``doc_ids`` (in the order they were stored)."""
        self._selection(doc_ids)
        cols = ("j.id, ca.cid, cb.cid, j.similarity, j.p_entail_ab, j.p_neutral_ab, j.p_contra_ab, j.p_entail_ba, "
                "j.p_neutral_ba, j.p_contra_ba, j.signals, j.contradiction, j.corroboration, j.kind, j.event, j.story")
        rows = sorted(self.db.execute(f"SELECT {cols} " + self._TOUCHING.format(cols=cols)).fetchall())
        out = []
        for r in rows:
            sig = tuple(Signal(n, d) for n, d in json.loads(r[10]))
            out.append(Judgement(a=r[1], b=r[2], similarity=r[3], p_entail_ab=r[4], p_neutral_ab=r[5], p_contra_ab=r[6],
                                 p_entail_ba=r[7], p_neutral_ba=r[8], p_contra_ba=r[9], signals=sig, contradiction=r[11],
                                 corroboration=r[12], kind=r[13], event=r[14], story=r[15]))
        return out

    def judged_with(self, doc_ids) -> set[int]:
        """The documents with a judgement against one of ``doc_ids`` (on either side)."""
        self._selection(doc_ids)
        return {d for r in self.db.execute("SELECT ca.doc, cb.doc " + self._TOUCHING.format(cols="ca.doc, cb.doc"))
                for d in r}

    def claims_of(self, doc_ids, vectors: bool = True) -> tuple[list[int], list[Claim], np.ndarray | None]:
        """(row ids, claims, vectors) of the claims of ``doc_ids``, in document then claim order
        (``vectors`` False: not read, None)."""
        self._selection(doc_ids)
        return self.claims("c.doc IN (SELECT id FROM _sel)", vectors=vectors)

    def claim_clusters_of(self, doc_ids) -> dict[str, int]:
        """Claim id -> cluster id, for the claims of ``doc_ids``."""
        self._selection(doc_ids)
        return self.claim_clusters("c.doc IN (SELECT id FROM _sel)")

    def story_rows(self, ids) -> dict[int, str | None]:
        ids = sorted({int(i) for i in ids if i is not None})
        if not ids:
            return {}
        q = ",".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, title FROM stories WHERE id IN ({q})", ids).fetchall())

    def document_rows(self, ids) -> list[tuple[int, str, int | None, int | None, str]]:
        """(id, name, story, dup_of, source) per document, ordered by source path, line and name."""
        ids = sorted({int(i) for i in ids})
        out = list(_rows_in(self.db, "SELECT id, name, story, dup_of, source, coalesce(line, 0) FROM documents "
                            "WHERE id IN ({q})", ids))
        out.sort(key=lambda r: (r[4], r[5], r[1]))
        return [r[:5] for r in out]


def store_rows(path: str | Path) -> dict[str, list[tuple]]:
    """Every table of a store file row by row (documents without the time they were added; not the
    cache, which holds no results) and, under "meta", the models it was built with: two stores built
    from the same articles, in one process or on Ray, compare equal (tests/test_distributed.py,
    benchmarks/bench_ray.py)."""
    import sqlite3

    con = sqlite3.connect(str(path))
    try:
        out = {}
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'schema_version', 'cache')"):
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})") if r[1] != "added"]
            out[t] = con.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY rowid").fetchall()
        out["meta"] = con.execute("SELECT key, value FROM meta WHERE key IN ('embedder_dim', 'nli_sha256') ORDER BY key").fetchall()
        return out
    finally:
        con.close()
