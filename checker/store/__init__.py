"""The store: a corpus that grows (issue 12).

``checker add PATH... --store news.db`` puts articles into one SQLite file: documents (keyed by
content hash), sentences, claims, claim vectors, story assignments and judgements
(:mod:`checker.store.schema`). Each article is grouped into a story and judged against the stored
claims of its story when it is added (:mod:`checker.store.incremental`, an approximate-nearest-
neighbour index of article vectors beside the file: :mod:`checker.store.ann`), and committed in
one transaction. ``checker contradictions --store`` / ``checker report --store`` read it back
(:func:`load_result`) with the same report code as a one-shot run.

The interface the pipeline uses is :class:`Store`; :class:`SQLiteStore` implements it (``":memory:"``
for a store that lives as long as the object).
"""

from __future__ import annotations

from typing import Protocol

from .read import load_result
from .schema import SCHEMA_VERSION, SchemaError, StoreError
from .sqlite import ArticleRecord, SQLiteStore


class Store(Protocol):
    """What :func:`checker.store.add.add` and :func:`load_result` need of a store."""

    path: str

    def source_hash(self, path: str) -> str | None: ...
    def set_source(self, path: str, sha256: str) -> None: ...
    def documents_of_source(self, source: str) -> list: ...
    def document_by_key(self, key: str): ...
    def has_name(self, name: str) -> bool: ...
    def delete_documents(self, ids) -> int: ...
    def representative_of(self, text_key: str): ...
    def article_index(self): ...
    def story_members(self, story: int) -> list: ...
    def story_claims(self, story: int): ...
    def claims_by_row(self, ids): ...
    def commit_article(self, rec: ArticleRecord) -> int: ...
    def select_documents(self, **filters) -> list[int]: ...
    def judgements_touching(self, doc_ids) -> list: ...
    def close(self) -> None: ...


def open_store(path) -> SQLiteStore:
    """Open (or create) the store in ``path`` (``":memory:"``: in memory), migrating an older schema."""
    return SQLiteStore(path)


__all__ = ["Store", "SQLiteStore", "ArticleRecord", "open_store", "load_result", "SchemaError", "StoreError", "SCHEMA_VERSION"]
