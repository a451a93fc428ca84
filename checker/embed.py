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


def embed(texts: list[str], model=None, batch_size: int = 64, progress: bool = False) -> np.ndarray:
    model = model or load_embedder()
    if not texts:
        return np.zeros((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
    vecs = model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                        normalize_embeddings=True, show_progress_bar=progress)
    return vecs.astype(np.float32)
