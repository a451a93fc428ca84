"""Which input files and documents an ``add`` has to process.

A file is known by its resolved path and the sha256 of its bytes (table ``sources``): a file
whose bytes did not change is skipped without being read. A document is known by its content
hash (:func:`document_key`): a document already stored (from this file or another) is not added
again. A changed file's documents that are no longer in it are deleted (their claims and
judgements with them) before its new documents are added.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from ..ingest import expand, read_one
from ..ingest.meta import enrich
from ..records import Document
from ..stories import text_key


def file_sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path)


def document_key(doc: Document) -> str:
    """The content hash of a document: what it says and its metadata, not where it is."""
    blob = json.dumps([doc.role, doc.fmt, doc.raw, doc.title, doc.outlet, doc.date], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def unique_name(doc: Document, taken) -> Document:
    """The naming rule of :func:`checker.ingest.load` against every name in the store
    (``taken(name)``: is it used?): the file name, else the path as given, else that with
    ``~2``, ``~3``, ..."""
    if not taken(doc.name):
        return doc
    fname = Path(doc.path).name
    base = doc.path + doc.name[len(fname):] if doc.name.startswith(fname) else doc.path
    new, k = replace(doc, name=base), 2
    while taken(new.name):
        new = replace(doc, name=f"{base}~{k}")
        k += 1
    return new


@dataclass
class Pending:
    """A document to add, with where it came from."""

    doc: Document
    key: str
    source: str
    text_key: str
    source_sha256: str | None = None  # set on the last pending document of its file


def changed_files(paths, store, counts: dict, problems: list) -> list[tuple[Path, str, str | None]]:
    """(file, resolved path, sha256) of the input files that are new or changed, sorted by path.
    ``counts`` gets "files" and "unchanged_files"."""
    files, probs = expand(paths)
    problems += probs
    out = []
    for f in files:
        counts["files"] += 1
        src, sha = resolved(f), file_sha256(f)
        if sha is not None and store.source_hash(src) == sha:
            counts["unchanged_files"] += 1
        else:
            out.append((f, src, sha))
    return out


def scan(files, store, config, counts: dict, problems: list, on_file=None):
    """Yield the documents to add from ``files`` (:func:`changed_files`), in order, one file in
    memory at a time, after deleting what a changed file no longer holds. ``counts`` gets
    "already_stored" and "replaced"; ``on_file(n)`` is told how many documents each file gives."""
    names: set[str] = set()  # given to documents of this add (committed or still pending)
    keys_seen: set[str] = set()

    def taken(name: str) -> bool:
        return name in names or store.has_name(name)
    for f, src, sha in files:
        docs, probs = read_one(f, "article", config)
        problems += probs
        if not docs:  # unreadable now: its stored version (if any) stays; a later add retries
            if on_file:
                on_file(0)
            continue
        docs = [d if d.fmt == "jsonl" else enrich(d) for d in docs]
        keys = [document_key(d) for d in docs]
        old = store.documents_of_source(src)
        stale = [i for i, k, _ in old if k not in set(keys)]
        counts["replaced"] += store.delete_documents(stale)
        todo = []
        for d, k in zip(docs, keys):
            if k in keys_seen or store.document_by_key(k) is not None:
                counts["already_stored"] += 1
                continue
            keys_seen.add(k)
            d = unique_name(d, taken)
            names.add(d.name)
            todo.append(Pending(d, k, src, text_key(d)))
        if on_file:
            on_file(len(todo))
        if todo:
            todo[-1].source_sha256 = sha
            yield from todo
        elif sha is not None:
            store.set_source(src, sha)
