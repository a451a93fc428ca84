"""Stage 3 — embed: claims -> unit-normalised vectors with the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .config import embedder_dir


@lru_cache(maxsize=2)
def load_embedder(path: str | None = None):
    from sentence_transformers import SentenceTransformer
    from .config import quiet_transformers
    quiet_transformers()

    return SentenceTransformer(str(path or embedder_dir()), device="cpu", local_files_only=True)


def dimension(model) -> int:
    """The embedder's vector size (sentence-transformers renamed the method in 5.x)."""
    return int((getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)())


def embed(texts: list[str], model=None, batch_size: int = 64, progress: bool = False, known=None,
          counts: dict | None = None) -> np.ndarray:
    """Unit vectors of ``texts`` (float32, one row per text, in order), in the process's
    precision (:func:`checker.config.compute`). Each distinct text is encoded once (a claim
    repeated across articles: wire copy, boilerplate); ``known(texts)`` may return vectors
    already computed for some of them (a store's: one text, one vector in a store), which are
    not encoded again. ``counts["embedded"]`` counts the texts encoded."""
    model = model or load_embedder()
    if not texts:
        return np.zeros((0, dimension(model)), dtype=np.float32)
    from .config import compute

    distinct = list(dict.fromkeys(texts))
    have = known(distinct) if known is not None else {}
    todo = [t for t in distinct if t not in have]
    if counts is not None:
        counts["embedded"] = counts.get("embedded", 0) + len(todo)
    vecs = np.zeros((0, dimension(model)), dtype=np.float32)
    if todo:
        with compute():
            vecs = np.asarray(_encode(todo, model, batch_size, progress), dtype=np.float32)
    if not have and len(distinct) == len(texts):
        return vecs
    row = {t: k for k, t in enumerate(todo)}
    if have:
        vecs = np.concatenate([vecs, np.stack([have[t] for t in distinct if t in have]).astype(np.float32)])
        row.update({t: len(todo) + k for k, t in enumerate(t for t in distinct if t in have)})
    return vecs[[row[t] for t in texts]]


def length_batches(texts: list[str], model, batch_size: int) -> list[list[int]] | None:
    """The batches :func:`embed` runs in bf16 (indices into ``texts``, one token length per
    batch: in bf16 a padded batch changes its vectors by ~1e-3, so a text's vector then does not
    depend on the other texts of the call; see :func:`checker.config.apply_precision`); None
    in fp32 (sentence-transformers' own batches)."""
    from .config import current_precision
    from .nli import same_length_batches

    if current_precision() != "bf16" or not hasattr(model, "tokenizer"):
        return None
    ids = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
    return same_length_batches([len(x) for x in ids], batch_size)


def _encode(texts: list[str], model, batch_size: int, progress: bool) -> np.ndarray:
    bs = length_batches(texts, model, batch_size)
    if bs is None:
        return model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                            normalize_embeddings=True, show_progress_bar=progress)
    out = np.zeros((len(texts), dimension(model)), dtype=np.float32)
    for idx in bs:
        out[idx] = model.encode([texts[i] for i in idx], batch_size=batch_size, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=False)
    return out
