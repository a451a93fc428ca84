"""Helpers for notebook exploration (pandas / matplotlib are optional extras).

>>> res = checker.run(["seeds/"], reference="seeds/reference.txt")
>>> claims_frame(res).head()
>>> plot_claim_map(res)
"""

from __future__ import annotations

import numpy as np

from .records import Result
from .report.model import claim_statuses


def claims_frame(result: Result, threshold: float | None = None):
    """One row per claim: article, sentence, claim, offsets, cluster, status, best evidence."""
    import pandas as pd

    st = claim_statuses(result, threshold)
    rows = []
    for c in result.claims:
        ev = st[c.id]["evidence"]
        rows.append({"article": c.doc, "role": c.role, "sentence": c.sentence.text, "claim": c.text,
                     "speaker": c.speaker, "kind": c.kind, "start": c.sentence.start, "end": c.sentence.end,
                     "cluster": result.cluster_of(c.id), "status": st[c.id]["status"],
                     "best_evidence": ev[0]["other"]["sentence"] if ev else None,
                     "evidence_score": ev[0]["score"] if ev else None, "id": c.id})
    return pd.DataFrame(rows)


def agreement_matrix(result: Result, threshold: float | None = None):
    """(corroborations, contradictions): article x article counts of claim pairs."""
    import pandas as pd

    names = [d.name for d in result.documents]
    corr = pd.DataFrame(0, index=names, columns=names)
    contra = pd.DataFrame(0, index=names, columns=names)
    for j in result.contradictions(threshold):
        a, b = result.claim(j.a).doc, result.claim(j.b).doc
        contra.loc[a, b] += 1
        contra.loc[b, a] += 1
    for j in result.corroborations():
        a, b = result.claim(j.a).doc, result.claim(j.b).doc
        corr.loc[a, b] += 1
        corr.loc[b, a] += 1
    return corr, contra


def threshold_sweep(result: Result, thresholds=None):
    """How many contradictions (and between which articles) at each threshold."""
    import pandas as pd

    thresholds = np.round(np.arange(0.1, 1.0, 0.05), 2) if thresholds is None else thresholds
    rows = []
    for t in thresholds:
        found = result.contradictions(float(t))
        rows.append({"threshold": float(t), "contradictions": len(found),
                     "article_pairs": len({tuple(sorted((result.claim(j.a).doc, result.claim(j.b).doc))) for j in found})})
    return pd.DataFrame(rows)


def project_2d(result: Result, method: str = "pca") -> np.ndarray:
    """2-D coordinates of the claim embeddings (PCA: deterministic)."""
    vecs = result.embeddings
    if vecs is None or len(vecs) < 3:
        return np.zeros((0 if vecs is None else len(vecs), 2))
    if method == "umap":
        import umap  # optional

        return umap.UMAP(n_components=2, random_state=0, metric="cosine").fit_transform(vecs)
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(vecs)


def plot_claim_map(result: Result, ax=None, threshold: float | None = None, method: str = "pca"):
    """Claims in 2-D, coloured by cluster, marker by article; contradicting pairs joined by red lines."""
    import matplotlib.pyplot as plt

    xy = project_2d(result, method)
    ax = ax or plt.subplots(figsize=(10, 7))[1]
    docs = [d.name for d in result.documents]
    markers = "osD^vP*Xh<>p"
    idx = {c.id: i for i, c in enumerate(result.claims)}
    cmap = plt.get_cmap("tab20")
    for k, name in enumerate(docs):
        pts = [i for i, c in enumerate(result.claims) if c.doc == name]
        if not pts:
            continue
        colors = [cmap(result.cluster_of(result.claims[i].id) % 20) for i in pts]
        ax.scatter(xy[pts, 0], xy[pts, 1], c=colors, marker=markers[k % len(markers)], s=40,
                   edgecolors="k", linewidths=0.3, label=name)
    for j in result.contradictions(threshold):
        a, b = idx[j.a], idx[j.b]
        ax.plot(xy[[a, b], 0], xy[[a, b], 1], "r-", lw=1.5, alpha=0.8)
    ax.set_title("Claims (colour = cluster, marker = article, red line = contradiction)")
    ax.legend(fontsize=8, loc="best")
    return ax
