"""The store's SQLite schema and its migrations.

``schema_version`` holds one row: the version of the layout in the file. Opening a store runs,
in order and each in its own transaction, every migration from the file's version to
:data:`SCHEMA_VERSION` (version 0 is an empty file: migration 1 creates the tables). A file
written by a newer checker (a version above :data:`SCHEMA_VERSION`) is refused, never changed.

To change the layout: add ``MIGRATIONS[n + 1] = <function taking a connection>`` and raise
:data:`SCHEMA_VERSION` to ``n + 1``; a migration must not commit (the caller does, together with
the new version number, so a migration that fails leaves the file at the old version).
"""

from __future__ import annotations

import sqlite3
from typing import Callable

SCHEMA_VERSION = 3

V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- one row per input file: a file whose bytes did not change is skipped without being read
CREATE TABLE sources (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);
CREATE TABLE stories (id INTEGER PRIMARY KEY, title TEXT);  -- ids from 0, in the order stories begin
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,          -- content hash (sha256 of role, format, text and metadata)
    name TEXT NOT NULL UNIQUE,         -- display name, unique in the store (Document.name)
    source TEXT NOT NULL,              -- resolved path of the file it was read from
    path TEXT NOT NULL,                -- Document.path (as given)
    role TEXT NOT NULL,
    fmt TEXT NOT NULL,
    title TEXT, line INTEGER, outlet TEXT, date TEXT, date_source TEXT,
    text TEXT NOT NULL,                -- cleaned text (the report's article view)
    removed TEXT NOT NULL DEFAULT '[]',  -- boilerplate spans, JSON [[start, end, reason], ...]
    text_key TEXT NOT NULL,            -- checker.stories.text_key: identical texts are duplicates
    dup_of INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    story INTEGER REFERENCES stories(id),
    vector BLOB,                       -- article vector: unit mean claim embedding, float32
    added TEXT NOT NULL                -- UTC time of the `add` that stored it (ISO 8601)
);
CREATE INDEX documents_source ON documents(source);
CREATE INDEX documents_text_key ON documents(text_key);
CREATE INDEX documents_story ON documents(story);
CREATE INDEX documents_outlet ON documents(outlet);
CREATE INDEX documents_date ON documents(date);
CREATE INDEX documents_added ON documents(added);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY,
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,              -- Sentence.id is "<document name>:<seq>"
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX sentences_doc ON sentences(doc);
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    doc INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    sentence INTEGER NOT NULL REFERENCES sentences(id) ON DELETE CASCADE,
    cid TEXT NOT NULL UNIQUE,          -- Claim.id
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    speaker TEXT,
    kind TEXT NOT NULL,
    cluster INTEGER NOT NULL           -- claim cluster (average linkage within its story)
);
CREATE INDEX claims_doc ON claims(doc);
CREATE INDEX claims_cluster ON claims(cluster);
CREATE TABLE claim_vectors (
    claim INTEGER PRIMARY KEY REFERENCES claims(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,              -- unit embedding, float32
    nn BLOB NOT NULL DEFAULT x''       -- float32 cosines of its nearest cross-article candidates in its story
);
CREATE TABLE judgements (
    id INTEGER PRIMARY KEY,
    a INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
    b INTEGER NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
    story INTEGER,
    label TEXT NOT NULL,               -- "contradiction" | "corroboration" (Judgement.label)
    similarity REAL NOT NULL,
    p_entail_ab REAL NOT NULL, p_neutral_ab REAL NOT NULL, p_contra_ab REAL NOT NULL,
    p_entail_ba REAL NOT NULL, p_neutral_ba REAL NOT NULL, p_contra_ba REAL NOT NULL,
    contradiction REAL NOT NULL,
    corroboration REAL NOT NULL,
    kind TEXT NOT NULL,
    event TEXT NOT NULL,
    signals TEXT NOT NULL DEFAULT '[]', -- JSON [[name, detail], ...]
    UNIQUE (a, b)
);
CREATE INDEX judgements_b ON judgements(b);
"""


def _v1(db: sqlite3.Connection) -> None:
    for stmt in V1.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _v2(db: sqlite3.Connection) -> None:
    """Claims found by their text: a claim text stored before is not embedded again."""
    db.execute("CREATE INDEX IF NOT EXISTS claims_text ON claims(text)")


def _v3(db: sqlite3.Connection) -> None:
    """Results computed from text alone (a paragraph's parse, a claim's facts, NLI probabilities),
    kept for later adds (:mod:`checker.store.cache`)."""
    db.execute("CREATE TABLE IF NOT EXISTS cache (ns TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, "
               "PRIMARY KEY (ns, key)) WITHOUT ROWID")


# MIGRATIONS[n] upgrades a file at version n - 1 to version n.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _v1, 2: _v2, 3: _v3}


class StoreError(Exception):
    """The store cannot be used: written by a newer checker, not a store, built with other
    models, or locked by another ``add``."""


SchemaError = StoreError


def version_of(db: sqlite3.Connection) -> int:
    """The file's schema version: 0 for an empty file (no tables at all)."""
    has = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if has:
        row = db.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0]) if row else 0
    if db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
        raise SchemaError("not a checker store (an SQLite file with other tables)")
    return 0


def migrate(db: sqlite3.Connection, target: int | None = None,
            migrations: dict[int, Callable[[sqlite3.Connection], None]] | None = None) -> tuple[int, int]:
    """Bring the file to ``target`` (default :data:`SCHEMA_VERSION`), one migration per
    transaction. Returns (version before, version after)."""
    target = SCHEMA_VERSION if target is None else target
    migrations = MIGRATIONS if migrations is None else migrations
    before = version_of(db)
    if before > target:
        raise SchemaError(f"the store has schema version {before}; this checker reads up to {target} "
                          "(written by a newer checker)")
    for v in range(before + 1, target + 1):
        if v not in migrations:
            raise SchemaError(f"no migration to schema version {v}")
        db.execute("BEGIN IMMEDIATE")
        try:
            migrations[v](db)
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            db.execute("DELETE FROM schema_version")
            db.execute("INSERT INTO schema_version (version) VALUES (?)", (v,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return before, max(before, target)
