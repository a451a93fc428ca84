"""Stage 4 — stories: group the articles of a run into stories.

Claims are compared only between articles of the same story (and against the
reference file), so a folder that mixes stories never produces a "contradiction"
between two different stories.

Article similarity is a weighted sum of two cosines:

* the mean of the article's claim embeddings (what it is about), and
* TF-IDF over its title and text (who and where: names, places, rare words), with the IDF
  taken from general English word frequencies (``wordfreq``: -ln of a word's frequency, words
  it does not know count as rarer than any it does). The IDF does not depend on the other
  articles of the run, so two articles get the same similarity whether they are checked alone
  or among a thousand, and an article's vector can be stored and compared later (hashed
  features, no vocabulary);

articles are grouped by average-linkage agglomerative clustering on ``1 - similarity``
(scikit-learn; deterministic). The weight and the distance threshold are chosen by
``checker calibrate --stories`` on the dev half of the ClaimDiff stories (see
:mod:`checker.realnews`) and stored in ``calibration.json``.

Articles whose normalised text is identical (the same article saved twice, a
syndicated copy) are *duplicates*: they join the story of the article they repeat
and their claims are never compared with it.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import numpy as np

from .records import Claim, Document
from .textnorm import normalize


def text_key(doc: Document) -> str:
    return hashlib.sha1(normalize(doc.text).lower().encode("utf-8")).hexdigest()


def article_vectors(docs: list[Document], claims: list[Claim], vecs: np.ndarray) -> np.ndarray:
    """Unit-normalised mean claim embedding per article (zeros for an article without claims)."""
    dim = vecs.shape[1] if len(vecs) else 1
    out = np.zeros((len(docs), dim), dtype=np.float32)
    index = {d.name: k for k, d in enumerate(docs)}
    for i, c in enumerate(claims):
        k = index.get(c.doc)
        if k is not None:
            out[k] += vecs[i]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w'-]+\b"  # words of letters; no numbers
UNKNOWN_WORD_FREQUENCY = 1e-8  # wordfreq has no entry: a name or a rare word (IDF 18.4)
N_FEATURES = 2 ** 20


@lru_cache(maxsize=200_000)
def background_idf(word: str) -> float:
    """-ln(frequency of ``word`` in general English), from wordfreq's tables (CC BY-SA 4.0)."""
    from wordfreq import word_frequency

    return -math.log(max(word_frequency(word, "en"), UNKNOWN_WORD_FREQUENCY))


@lru_cache(maxsize=1)
def _analyzer():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", token_pattern=TOKEN_PATTERN).build_analyzer()


def lexical_vectors(docs: list[Document]):
    """Unit-normalised TF-IDF vectors (scipy CSR, hashed words): ``1 + ln(count)`` times the
    background IDF of each word of the title and text. Each row depends on its own document only."""
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.preprocessing import normalize as l2

    rows = [_weights(d.title or "", d.text) for d in docs]
    m = FeatureHasher(n_features=N_FEATURES, input_type="dict", alternate_sign=False).transform(rows)
    return l2(m.tocsr())


@lru_cache(maxsize=4608)
def _weights(title: str, text: str) -> dict[str, float]:
    """Word -> TF-IDF weight of one document; cached: ``checker add`` compares each window with
    up to 4,096 stored articles, most of them the same from one window to the next (an entry is
    ~40 KB with its text: the cache holds one window's worth, ~180 MB at most)."""
    counts: dict[str, int] = {}
    for w in _analyzer()(f"{title}\n{text}"):
        counts[w] = counts.get(w, 0) + 1
    return {w: (1.0 + math.log(n)) * background_idf(w) for w, n in counts.items()}


def lexical_similarity(docs: list[Document]) -> np.ndarray:
    """Cosine of :func:`lexical_vectors` (0 for a document without a usable word)."""
    m = lexical_vectors(docs)
    return (m @ m.T).toarray()


def similarity(emb: np.ndarray, docs: list[Document], tfidf_weight: float) -> np.ndarray:
    """Article similarity from the articles' vectors (:func:`article_vectors`; the store keeps
    them) and their TF-IDF (:func:`lexical_similarity`)."""
    return (1 - tfidf_weight) * (emb @ emb.T) + tfidf_weight * lexical_similarity(docs)


def group(sim: np.ndarray, max_distance: float) -> list[int]:
    """Story label per article: average linkage on ``1 - sim`` cut at ``max_distance``."""
    n = len(sim)
    if n <= 1:
        return [0] * n
    from sklearn.cluster import AgglomerativeClustering

    dist = np.clip(1.0 - sim, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    dist = (dist + dist.T) / 2
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                     distance_threshold=max_distance).fit_predict(dist)
    return [int(x) for x in labels]
