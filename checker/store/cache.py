"""The store's ``cache`` table: results computed from text alone (a paragraph's parse, a claim's
facts, an NLI pair's probabilities), kept so a later ``checker add`` on the store does not compute
them again (see :mod:`checker.memo`).

Rows are (namespace, key, value): the namespace names the kind of result and the version of the
code and model that computed it (``parse:<version>``, ``facts:<version>``, ``nli:<model>:<length>``),
the key is the SHA-1 of the input (JSON of a text or of a tuple of texts). A namespace of another
version of the same kind is deleted the first time the store is used with the new one, so the
table never serves or keeps results of code that is gone. Nothing else refers to the table: its
rows may be lost (a ``kill -9`` between two writes) without harm; they are computed again.
"""

from __future__ import annotations

import hashlib
import json

from .sqlite import _rows_in


def _digest(key) -> bytes:
    text = key if isinstance(key, str) else json.dumps(key, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


class StoreCache:
    """The ``cache`` table of one store connection (an autocommit connection: each write is
    its own transaction, or part of the caller's if one is open)."""

    def __init__(self, db):
        self.db = db
        self._purged: set[str] = set()

    def namespace(self, ns: str, dumps, loads) -> "CacheNamespace":
        """The rows of ``ns`` (``kind:version``), values written with ``dumps`` (to bytes) and read
        with ``loads``. Rows of the same kind under another version are deleted (once per cache)."""
        kind = ns.split(":", 1)[0]
        if kind not in self._purged:
            self._purged.add(kind)
            self._write("DELETE FROM cache WHERE ns >= ? AND ns < ? AND ns != ?", [(kind + ":", kind + ";", ns)])
        return CacheNamespace(self, ns, dumps, loads)

    def _write(self, sql: str, rows: list) -> None:
        if self.db.in_transaction:
            self.db.executemany(sql, rows)
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(sql, rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def size(self) -> dict[str, int]:
        """Rows per namespace."""
        return dict(self.db.execute("SELECT ns, count(*) FROM cache GROUP BY ns ORDER BY ns").fetchall())


class CacheNamespace:
    """``get_many`` / ``put_many`` over one namespace of a :class:`StoreCache` (a backing of
    :class:`checker.memo.Memo`)."""

    def __init__(self, cache: StoreCache, ns: str, dumps, loads):
        self.cache, self.ns, self.dumps, self.loads = cache, ns, dumps, loads

    def get_many(self, keys) -> dict:
        by_digest = {_digest(k): k for k in keys}
        return {by_digest[k]: self.loads(v) for k, v in _rows_in(
            self.cache.db, "SELECT key, value FROM cache WHERE ns = ? AND key IN ({q})", by_digest, args=(self.ns,))}

    def put_many(self, items: dict) -> None:
        if items:
            self.cache._write("INSERT OR IGNORE INTO cache (ns, key, value) VALUES (?, ?, ?)",
                              [(self.ns, _digest(k), self.dumps(v)) for k, v in items.items()])
