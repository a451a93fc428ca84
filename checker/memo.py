"""Results computed from text alone, kept so they are not computed again: a paragraph's parse
(the claims stage), a claim's facts (compare) and an NLI pair's probabilities.

Each is held in a bounded in-process map (:class:`Memo`, least recently used dropped), in front
of an optional persistent one, the ``backing``: a store's ``cache`` table
(:class:`checker.store.cache.StoreCache`), so a later ``checker add`` on the same store does not
parse a paragraph or a stored claim again. A backing has ``get_many(keys) -> {key: value}`` and
``put_many({key: value})``. What is kept must be a function of the key alone (and of the code and
models: the store's namespaces carry their versions), so a result never depends on what was kept.
A backing receives what is computed while it is in use; a value this process found in memory (kept
from an earlier call, e.g. an add to another store) is not written to it again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path


class Memo:
    """A bounded map, least recently used dropped, read and written through an optional backing."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()

    def __len__(self) -> int:
        return len(self.items)

    def clear(self) -> None:
        self.items.clear()

    def get_many(self, keys, backing=None) -> dict:
        """The values kept for ``keys`` (here, else in ``backing``); keys kept nowhere are absent."""
        out, miss = {}, []
        for k in dict.fromkeys(keys):
            if k in self.items:
                self.items.move_to_end(k)
                out[k] = self.items[k]
            else:
                miss.append(k)
        if backing is not None and miss:
            got = backing.get_many(miss)
            self._keep(got)
            out.update(got)
        return out

    def put_many(self, items: dict, backing=None) -> None:
        """Keep ``items`` here and in ``backing``."""
        self._keep(items)
        if backing is not None and items:
            backing.put_many(items)

    def _keep(self, items: dict) -> None:
        for k, v in items.items():
            self.items[k] = v
            self.items.move_to_end(k)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


def memo_of(registry, model, size: int) -> Memo:
    """The Memo ``registry`` (a ``weakref.WeakKeyDictionary``) keeps for ``model`` (a spaCy
    pipeline: results of one pipeline are not another's); a fresh one, kept nowhere, for a model
    without weak references."""
    try:
        return registry.setdefault(model, Memo(size))
    except TypeError:
        return Memo(size)


def spacy_version(nlp, *modules: str) -> str:
    """The version of results computed with the spaCy pipeline ``nlp`` by the code of ``modules``
    (a store's cache namespace)."""
    meta = getattr(nlp, "meta", {}) or {}
    return f"{code_version(*modules)}-{meta.get('name')}-{meta.get('version')}"


@lru_cache(maxsize=None)
def code_version(*modules: str, extra: str = "") -> str:
    """A short hash of the source files of ``modules`` (dotted names under ``checker``) and
    ``extra``: a persistent cache namespace changes whenever the code that computes its values does."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(extra.encode())
    for m in modules:
        h.update((root / (m.replace(".", "/") + ".py")).read_bytes())
    return h.hexdigest()[:16]
