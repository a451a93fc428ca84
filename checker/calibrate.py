"""Fit the score combiner and choose decision thresholds on dev data.

``checker calibrate --data ../shared/data/nli`` builds a dev set that the NLI
model never saw in training:

* SNLI dev (``snli/snli_1.0_dev.csv``), CAD dev (``cad/all_combined/dev.tsv``),
  CommitmentBank dev — human-labelled 3-way NLI;
* synthetic pairs from QNLI-dev Wikipedia sentences (entity-rich, news-like):
  entity/number/date swaps and inserted negations (contradiction), the sentence
  with a trailing clause removed (entailment), and the nearest *other* sentence by
  embedding (neutral: related but not the same fact — the situation of most
  cross-article candidate pairs).

Only pairs that pass the pipeline's alignment gate are kept (the pipeline judges
nothing else). For each pair it computes the same features the pipeline uses (NLI both
directions, embedding similarity, signals), fits two logistic regressions
(P(contradiction), P(corroboration)) on 70% of the pairs, and on the other 30%
reports ROC AUC / Brier score / expected calibration error and picks each
threshold as the lowest one reaching 90% precision there (F1-optimal if none does). Everything goes to ``checker/calibration.json``.
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import numpy as np

from .config import CALIBRATION_FILE, Config

LABELS = ("entailment", "neutral", "contradiction")


def _csv_rows(path: Path, p: str, h: str, lab: str, delimiter: str = ","):
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=delimiter):
            if row.get(lab) in LABELS:
                yield row[p], row[h], row[lab]


def entity_pool(docs) -> dict[str, list[str]]:
    """Sorted distinct entity strings per spaCy label: the replacements for entity swaps."""
    pool: dict[str, set[str]] = {}
    for d in docs:
        for e in d.ents:
            pool.setdefault(e.label_, set()).add(e.text)
    return {k: sorted(v) for k, v in pool.items()}


def _swap(doc, pool: dict, rng: random.Random) -> str | None:
    ents = [e for e in doc.ents if len(pool.get(e.label_, [])) > 5]
    if not ents:
        return None
    e = rng.choice(ents)
    options = [x for x in rng.sample(pool[e.label_], 6) if x.lower() != e.text.lower()]
    if not options:
        return None
    return doc.text[: e.start_char] + options[0] + doc.text[e.end_char :]


def _negate(doc) -> str | None:
    for t in doc:
        if t.dep_ == "neg":
            return None
    for t in doc:
        if t.pos_ == "AUX" and t.dep_ in ("aux", "auxpass", "ROOT") and t.lower_ in (
                "is", "are", "was", "were", "has", "have", "had", "will", "can", "would", "could", "should"):
            return doc.text[: t.idx + len(t.text)] + " not" + doc.text[t.idx + len(t.text):]
    return None


def _drop_clause(text: str) -> str | None:
    parts = text.rsplit(", ", 1)
    if len(parts) == 2 and len(parts[0].split()) >= 6:
        return parts[0].rstrip(",;") + "."
    return None


def build_dev_set(data: Path, seed: int = 0, n_snli: int = 1200, n_synth: int = 600, nlp=None, embedder=None):
    rng = random.Random(seed)
    pairs: list[tuple[str, str, str, str]] = []  # premise, hypothesis, label, source
    snli = list(_csv_rows(data / "snli/snli_1.0_dev.csv", "sentence1", "sentence2", "label"))
    rng.shuffle(snli)
    pairs += [(p, h, lab, "snli_dev") for p, h, lab in snli[:n_snli]]
    pairs += [(p, h, lab, "cad_dev") for p, h, lab in
              _csv_rows(data / "cad/all_combined/dev.tsv", "sentence1", "sentence2", "gold_label", "\t")]
    pairs += [(p, h, lab, "commitment_bank_dev") for p, h, lab in
              _csv_rows(data / "nli_datasets/commitment_bank/dev.csv", "premise", "hypothesis", "label")]

    sents = []
    with open(data / "nli_datasets/qnli/dev.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            s = re.sub(r"\s+", " ", row["hypothesis"]).strip()
            if 8 <= len(s.split()) <= 45:
                sents.append(s)
    sents = sorted(set(sents))
    rng.shuffle(sents)
    sents = sents[: n_synth * 6]
    docs = list(nlp.pipe(sents, batch_size=128))
    pool = entity_pool(docs)
    swaps, negs, ents = [], [], []
    for d in docs:
        if len(swaps) < n_synth:
            s = _swap(d, pool, rng)
            if s:
                swaps.append((d.text, s, "contradiction", "qnli_synthetic_swap"))
                continue
        if len(negs) < n_synth // 2:
            s = _negate(d)
            if s:
                negs.append((d.text, s, "contradiction", "qnli_synthetic_negation"))
                continue
        if len(ents) < n_synth:
            s = _drop_clause(d.text)
            if s:
                ents.append((d.text, s, "entailment", "qnli_synthetic_entailed_part"))
    pairs += swaps + negs + ents
    # related-but-different neighbours
    from .embed import embed

    vec = embed(sents, embedder)
    sims = vec @ vec.T
    np.fill_diagonal(sims, -1)
    neigh = []
    for i in range(len(sents)):
        j = int(np.argmax(sims[i]))
        if 0.3 <= sims[i, j] < 0.9:
            neigh.append((sents[i], sents[j], "neutral", "qnli_neighbour_neutral"))
        if len(neigh) >= 2 * n_synth:
            break
    pairs += neigh
    return pairs


def _ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (p >= lo) & (p < hi if hi < 1 else p <= hi)
        if m.any():
            total += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(total)


def _pr(p: np.ndarray, y: np.ndarray, t: float) -> tuple[float, float, float]:
    pred = p >= t
    tp = float((pred & (y == 1)).sum())
    prec = tp / max(1.0, pred.sum())
    rec = tp / max(1.0, (y == 1).sum())
    return prec, rec, 2 * prec * rec / max(1e-9, prec + rec)


def _best_threshold(p: np.ndarray, y: np.ndarray, target_precision: float) -> tuple[float, float, float, float]:
    """Lowest threshold whose held-out precision reaches ``target_precision`` (real article
    sets hold far fewer contradictions than a dev set, so precision matters most); if none
    does, the F1-optimal one. Returns (threshold, precision, recall, f1)."""
    grid = np.round(np.arange(0.05, 0.991, 0.01), 2)
    for t in grid:
        prec, rec, f1 = _pr(p, y, float(t))
        if prec >= target_precision and (p >= t).sum() >= 10:
            return float(t), prec, rec, f1
    t = max(grid, key=lambda t: _pr(p, y, float(t))[2])
    return (float(t), *_pr(p, y, float(t)))


def _calibrate_support(pairs, nli, cfg: Config, seed: int, target_precision: float) -> dict:
    """Platt scaling of ``checker verify``'s per-claim support — the raw NLI P(entailment)
    of a source sentence for a claim, one direction, no alignment gate (verify's population)
    — on *all* dev pairs (70% fit / 30% held out), and the threshold reaching the target
    precision for "entailed" on the held-out part: the ``supported`` verdict."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    raw = nli.predict([(p[0], p[1]) for p in pairs], batch_size=cfg.nli_batch_size)[:, 0]
    y = np.array([p[2] == "entailment" for p in pairs], dtype=int)
    idx = np.random.RandomState(seed + 1).permutation(len(pairs))
    cut = int(0.7 * len(pairs))
    tr, te = idx[:cut], idx[cut:]
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(raw[tr, None], y[tr])
    coef, icpt = float(lr.coef_[0][0]), float(lr.intercept_[0])
    p = lr.predict_proba(raw[te, None])[:, 1]
    t, prec, rec, f1 = _best_threshold(p, y[te], target_precision)
    return {"platt": {"coef": round(coef, 6), "intercept": round(icpt, 6)}, "threshold": t,
            "dev": {"roc_auc": round(float(roc_auc_score(y[te], p)), 4), "ece": round(_ece(p, y[te]), 4),
                    "ece_raw_nli": round(_ece(raw[te], y[te]), 4), "precision_at_threshold": round(prec, 4),
                    "recall_at_threshold": round(rec, 4), "target_precision": target_precision,
                    "positives": int(y[te].sum()), "n": int(len(te)), "fit": int(len(tr))}}


def model_entry(ref) -> dict:
    """The ``model`` entry of a calibration: which NLI weights it was fitted for (the key by
    which :mod:`checker.nli_models` matches a calibration to a model) and how their labels were read."""
    return {"nli": ref.name, "sha256": ref.sha256, "labels": ref.labels.describe()}


def _existing(out: Path, ref) -> dict:
    """The calibration already in ``out``, when it belongs to the same weights (its other parts
    are kept); ``{}`` when there is none or it was fitted for other weights."""
    if not out.exists():
        return {}
    try:
        old = json.loads(out.read_text())
    except ValueError:
        return {}
    sha = (old.get("model") or {}).get("sha256") if isinstance(old, dict) else None
    return old if isinstance(old, dict) and sha in (None, ref.sha256) else {}


def calibrate(data: Path, out: Path = CALIBRATION_FILE, seed: int = 0, say=print,
              target_precision: float = 0.9, nli_model: str | None = None, allow_download: bool = False) -> dict:
    """Fit and write the claim-pair calibration of the NLI model ``nli_model`` (None: the
    default model, see :func:`checker.nli_models.resolve`)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from .claims import load_nlp
    from .compare import FEATURES, align_gate, combine, pair_features
    from .embed import embed, load_embedder
    from .nli import load_nli
    from .signals import SIGNAL_NAMES, aligned, facts

    cfg = Config()
    nlp, embedder = load_nlp(), load_embedder()
    nli = load_nli(nli_model, max_length=cfg.nli_max_length, allow_download=allow_download)
    say("building the dev set")
    pairs = build_dev_set(data, seed, nlp=nlp, embedder=embedder)
    a_txt = [p[0] for p in pairs]
    b_txt = [p[1] for p in pairs]
    va, vb = embed(a_txt, embedder), embed(b_txt, embedder)
    sims = (va * vb).sum(1)
    fa = [facts(d) for d in nlp.pipe(a_txt, batch_size=128)]
    fb = [facts(d) for d in nlp.pipe(b_txt, batch_size=128)]
    # the pipeline only judges aligned pairs: calibrate on the same population
    gate = align_gate(cfg)
    keep = [k for k in range(len(pairs)) if aligned(fa[k], fb[k], float(sims[k]), **gate)]
    n_all = len(pairs)
    support = _calibrate_support(pairs, nli, cfg, seed, target_precision)
    pairs, sims = [pairs[k] for k in keep], sims[keep]
    fa, fb = [fa[k] for k in keep], [fb[k] for k in keep]
    say(f"{len(pairs)} of {n_all} dev pairs are aligned; computing features (NLI both directions)")
    probs = nli.predict([x for p in pairs for x in ((p[0], p[1]), (p[1], p[0]))], batch_size=cfg.nli_batch_size)
    feats = [pair_features(probs[2 * k], probs[2 * k + 1], float(sims[k]), fa[k], fb[k]) for k in range(len(pairs))]
    X = np.array([x for x, _, _ in feats])
    sigs = [sig for _, sig, _ in feats]
    neutral = [n for _, _, n in feats]
    y_c = np.array([p[2] == "contradiction" for p in pairs], dtype=int)
    y_e = np.array([p[2] == "entailment" for p in pairs], dtype=int)
    idx = np.random.RandomState(seed).permutation(len(pairs))
    cut = int(0.7 * len(pairs))
    tr, te = idx[:cut], idx[cut:]
    result = {"features": list(FEATURES), "thresholds": {}, "dev": {}, "model": {}}
    for name, y in (("contradiction", y_c), ("corroboration", y_e)):
        lr = LogisticRegression(C=1.0, max_iter=2000).fit(X[tr], y[tr])
        result[name] = {"coef": [round(float(c), 6) for c in lr.coef_[0]], "intercept": round(float(lr.intercept_[0]), 6)}
    # precision of each signal on the fit split (Laplace-smoothed)
    rates: dict[str, dict] = {"nli_neutral": {}, "nli_not_neutral": {}}
    for stratum, want in (("nli_neutral", True), ("nli_not_neutral", False)):
        for sname in SIGNAL_NAMES:
            fired = [k for k in tr if neutral[k] == want and any(s.name == sname for s in sigs[k])]
            if len(fired) >= 20:  # too few examples: no override in this stratum
                rates[stratum][sname] = {"rate": round((float(y_c[fired].sum()) + 1) / (len(fired) + 2), 4),
                                         "n": len(fired)}
    result["signal_rates"] = rates
    scored = np.array([combine(result, list(X[k]), sigs[k], neutral[k]) for k in te])
    for name, y, raw_col in (("contradiction", y_c, 0), ("corroboration", y_e, 2)):
        p = scored[:, 0 if name == "contradiction" else 1]
        raw = X[te, raw_col]
        t, prec, rec, f1 = _best_threshold(p, y[te], target_precision)
        pred = p >= t
        bal = 0.5 * (pred[y[te] == 1].mean() + (~pred[y[te] == 0]).mean())
        result["thresholds"][name] = t
        result["dev"][name] = {
            "roc_auc": round(float(roc_auc_score(y[te], p)), 4),
            "roc_auc_raw_nli": round(float(roc_auc_score(y[te], raw)), 4),
            "brier": round(float(brier_score_loss(y[te], p)), 4),
            "ece": round(_ece(p, y[te]), 4),
            "ece_raw_nli": round(_ece(raw, y[te]), 4),
            "precision_at_threshold": round(prec, 4),
            "recall_at_threshold": round(rec, 4),
            "f1_at_threshold": round(f1, 4),
            "target_precision": target_precision,
            "balanced_accuracy_at_threshold": round(float(bal), 4),
            "positives": int(y[te].sum()), "n": int(len(te)),
        }
    by_src: dict[str, int] = {}
    for p in pairs:
        by_src[p[3]] = by_src.get(p[3], 0) + 1
    result["dev"]["sources_aligned"] = dict(sorted(by_src.items()))
    result["dev"]["aligned_of_all"] = [len(pairs), n_all]
    result["dev"]["split"] = {"fit": len(tr), "held_out": len(te), "seed": seed}
    result["model"] = model_entry(nli.ref)
    result["support"] = support
    old = _existing(out, nli.ref)
    for part in ("document", "stories"):  # fitted separately (calibrate --document / --stories)
        if part in old:
            result[part] = old[part]
    out.write_text(json.dumps(result, indent=1) + "\n")
    say(f"wrote {out}")
    return result


def calibrate_document(eval_dir: Path, out: Path = CALIBRATION_FILE, say=print, verifier=None, limit: int = 0,
                       nli_model: str | None = None, allow_download: bool = False) -> dict:
    """Map ``Verifier``'s raw document score to P(consistent) and pick the document-level
    threshold, on the SummEval *dev* half only (50 of the 100 CNN/DM articles, 800
    summaries; ``checker.evaluate`` reports the other half). Platt scaling (a one-feature
    logistic regression) gives the probability; the threshold is the one with the best
    balanced accuracy on dev (the SummaC protocol). ECE and AUC are reported with 5-fold
    cross-validation over articles, so they are not in-sample. Updates the ``document``
    entry of ``calibration.json`` and leaves the claim-pair entries alone."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from .evaluate import summeval_split
    from .verify import Verifier

    rows = summeval_split(eval_dir, "dev")
    if limit:
        rows = rows[:limit]
    v = verifier or Verifier(Config.default(progress=False, nli_model=nli_model, allow_download=allow_download),
                             document_calibration={})
    say(f"scoring {len(rows)} SummEval dev summaries ({len({r['doc_id'] for r in rows})} articles)")
    raw = np.array(v.raw_scores([(r["document"], r["summary"]) for r in rows]))
    y = np.array([int(r["label_binary_all_experts_5"]) for r in rows])
    fit = LogisticRegression(C=1e4, max_iter=2000).fit(raw[:, None], y)
    a, b = float(fit.coef_[0][0]), float(fit.intercept_[0])
    # 5-fold over articles: out-of-fold probabilities for honest AUC/ECE
    docs = sorted({r["doc_id"] for r in rows})
    fold = {d: i % 5 for i, d in enumerate(docs)}
    f = np.array([fold[r["doc_id"]] for r in rows])
    oof = np.zeros(len(rows))
    for k in range(5):
        m = LogisticRegression(C=1e4, max_iter=2000).fit(raw[f != k, None], y[f != k])
        oof[f == k] = m.predict_proba(raw[f == k, None])[:, 1]
    p = fit.predict_proba(raw[:, None])[:, 1]
    grid = np.round(np.arange(0.05, 0.991, 0.01), 2)

    def bacc(t):
        pred = p >= t
        return 0.5 * (pred[y == 1].mean() + (~pred[y == 0]).mean())

    t = float(max(grid, key=bacc))
    doc = {"platt": {"coef": round(a, 6), "intercept": round(b, 6)}, "threshold": t,
           "model_sha256": v.nli.ref.sha256,
           "scoring": v.scoring(),
           "dev": {"set": "SummEval dev half (even-numbered articles by sorted doc_id)", "n": len(rows),
                   "positives": int(y.sum()), "roc_auc": round(float(roc_auc_score(y, raw)), 4),
                   "balanced_accuracy_at_threshold": round(float(bacc(t)), 4),
                   "ece_5fold": round(_ece(oof, y), 4), "roc_auc_5fold": round(float(roc_auc_score(y, oof)), 4)}}
    cal = _existing(out, v.nli.ref)
    cal.setdefault("model", model_entry(v.nli.ref))
    cal["document"] = doc
    out.write_text(json.dumps(cal, indent=1) + "\n")
    say(f"wrote the document calibration to {out}")
    return doc


def story_features(stories, nlp=None, embedder=None):
    """Claims and embeddings of the given real-news stories' articles (one mixed corpus):
    (documents, claims, vectors, true story id per document)."""
    import tempfile

    from . import claims as claims_stage
    from . import ingest
    from .embed import embed, load_embedder
    from .realnews import article_id_of, write_corpus

    nlp = nlp or claims_stage.load_nlp()
    embedder = embedder or load_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(stories, tmp, layout="mixed")
        docs, _ = ingest.load([tmp])
    _, claims = claims_stage.extract(docs, nlp)
    vecs = embed([c.text for c in claims], embedder)
    truth = [article_id_of(d.name).rsplit("-", 1)[0] for d in docs]
    return docs, claims, vecs, truth


def pairwise_scores(labels, truth) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping against the true stories."""
    n = len(labels)
    tp = fp = fn = 0
    for i in range(n):
        for j in range(i + 1, n):
            same_pred, same_true = labels[i] == labels[j], truth[i] == truth[j]
            tp += same_pred and same_true
            fp += same_pred and not same_true
            fn += same_true and not same_pred
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def calibrate_stories(eval_dir: Path, out: Path = CALIBRATION_FILE, say=print, min_precision: float = 0.9) -> dict:
    """Choose the story-grouping weight and distance on the **dev** half of the ClaimDiff
    stories mixed in one corpus: the largest pairwise recall (articles of one story grouped
    together) whose pairwise precision (grouped articles really of one story) is at least
    ``min_precision``. Updates the ``stories`` entry of ``calibration.json``."""
    from .realnews import load_stories
    from .stories import group, lexical_similarity, article_vectors

    dev = [s for s in load_stories(eval_dir) if s.split == "dev"]
    docs, claims, vecs, truth = story_features(dev)
    say(f"grouping {len(docs)} dev articles of {len(dev)} stories")
    emb = article_vectors(docs, claims, vecs)
    emb_sim, tf_sim = emb @ emb.T, lexical_similarity(docs)
    same = [(i, j) for i in range(len(docs)) for j in range(i + 1, len(docs)) if truth[i] == truth[j]]
    best, table = None, []
    for w in (0.0, 0.25, 0.5, 0.75, 1.0):
        sim = (1 - w) * emb_sim + w * tf_sim
        for t in np.round(np.arange(0.3, 0.98, 0.025), 3):
            prec, rec = pairwise_scores(group(sim, float(t)), truth)
            # a story's two articles checked on their own: grouped iff their distance is within t
            alone = sum(1 - sim[i, j] <= t for i, j in same) / max(1, len(same))
            table.append({"tfidf_weight": w, "max_distance": float(t), "precision": round(prec, 4),
                          "recall": round(rec, 4), "recall_alone": round(float(alone), 4)})
            key = (prec >= min_precision, rec if prec >= min_precision else prec, -t)
            if best is None or key > best[0]:
                best = (key, table[-1])
    chosen = dict(best[1])
    entry = {"tfidf_weight": chosen["tfidf_weight"], "max_distance": chosen["max_distance"],
             "dev": {"set": "ClaimDiff train stories, dev half (checker.realnews split), mixed in one corpus",
                     "stories": len(dev), "articles": len(docs), "pairwise_precision": chosen["precision"],
                     "pairwise_recall": chosen["recall"], "min_precision": min_precision,
                     "same_story_pairs_grouped_alone": chosen["recall_alone"],
                     "lexical": "TF-IDF with background IDF from wordfreq (run-independent)"}}
    cal = json.loads(out.read_text()) if out.exists() else {}
    cal["stories"] = entry
    out.write_text(json.dumps(cal, indent=1) + "\n")
    say(f"stories: tfidf_weight {entry['tfidf_weight']}, max_distance {entry['max_distance']} "
        f"(dev pairwise precision {chosen['precision']:.3f}, recall {chosen['recall']:.3f}; "
        f"a story's articles alone grouped {chosen['recall_alone']:.3f}); wrote {out}")
    return entry


def labelled_judgements(result, stories, labels, renamed) -> list[tuple]:
    """(judgement, label) for every judged pair whose two sentences carry a label."""
    from .realnews import article_id_of, article_sentences, locate

    index = article_sentences(stories)
    rev = {(sid, new): old for (sid, old), new in renamed.items()}
    out = []
    for j in result.judgements:
        a, b = result.claim(j.a), result.claim(j.b)
        aa, ab = article_id_of(a.doc), article_id_of(b.doc)
        sid = aa.rsplit("-", 1)[0]
        if sid != ab.rsplit("-", 1)[0]:
            out.append((j, "cross_story", (sid, a.sentence.id, b.sentence.id)))
            continue
        ha, hb = locate(aa, a.sentence.text, index), locate(ab, b.sentence.text, index)
        if not (ha and hb):
            continue
        lab = None
        for x, y in ((ha, hb), (rev.get((sid, ha), ha), rev.get((sid, hb), hb))):
            lab = lab or labels.get((sid,) + tuple(sorted((x, y))))
        if lab:
            out.append((j, lab["label"], (sid,) + tuple(sorted((ha, hb)))))
    return out


def calibrate_realnews(eval_dir: Path, out: Path = CALIBRATION_FILE, say=print, target_precision: float = 0.8,
                       min_fired: int = 5, min_flags: int = 3, nli_model: str | None = None,
                       allow_download: bool = False) -> dict:
    """The real-news layer, fitted on the **dev** stories only (real ClaimDiff and CNN/DM
    pairs plus the dev half of the planted errors):

    1. run the checker end to end on them with the plain logistic combiner (no signal
       floors);
    2. for every mismatch signal, its precision on labelled dev pairs (contradiction vs any
       other label; Laplace-smoothed) in each NLI stratum and pooled over the strata, kept
       where it fired on at least ``min_fired`` pairs; a signal the dev stories never fired
       often enough keeps its synthetic-dev rate (:func:`checker.compare.signal_floor`);
    3. with those floors, the lowest contradiction threshold whose sentence-pair precision on
       dev reaches ``target_precision`` (0.8, the bar of the real-news issue) with at least
       ``min_flags`` flags, else the most precise one with at least ``min_flags`` flags
       (precision first: a fact-checker abandons a list that is mostly false).

    Pairs reporting two different parties' views (``kind == "views"``), different events and
    identical statements are never contradictions and score 0. Writes the ``realnews`` entry
    of ``calibration.json``."""
    import tempfile
    from dataclasses import replace as dc_replace

    from .compare import SIGNAL_NAMES, nli_stratum, signal_floor
    from .pipeline import run
    from .realnews import apply_planted, load_cnndm_stories, load_labels, load_planted, load_stories, write_corpus

    stories = [s for s in load_stories(eval_dir) + load_cnndm_stories(eval_dir) if s.split == "dev"]
    stories, pl = apply_planted(stories, [e for e in load_planted() if e["story"] in {s.id for s in stories}])
    labels = dict(load_labels())
    labels.update(pl["labels"])
    base = Config.default(progress=False, nli_model=nli_model, allow_download=allow_download)
    synthetic = base.combiner.get("signal_rates", {})
    cfg = dc_replace(base, combiner={k: v for k, v in base.combiner.items() if k != "signal_rates"},
                     realnews={"signal_rates": {}, "threshold": 0.5})
    say(f"running the checker on {len(stories)} dev stories ({len(pl['labels'])} planted errors)")
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(stories, tmp, layout="mixed")
        result = run([tmp], config=cfg)
    rows = labelled_judgements(result, stories, labels, pl["renamed"])
    say(f"{len(rows)} judged pairs carry a label")

    def probs(j):
        return ((j.p_entail_ab, j.p_neutral_ab, j.p_contra_ab), (j.p_entail_ba, j.p_neutral_ba, j.p_contra_ba))

    def rate(fired: list[str]) -> dict:
        k = sum(lab == "contradiction" for lab in fired)
        return {"rate": round((k + 1) / (len(fired) + 2), 4), "n": len(fired)}

    rates: dict[str, dict] = {}
    strata = ("nli_entailed_one", "nli_neutral", "nli_other")
    for name in SIGNAL_NAMES:
        pooled = []
        for stratum in strata:
            fired = [lab for j, lab, _ in rows if nli_stratum(*probs(j)) == stratum and any(s.name == name for s in j.signals)]
            pooled += fired
            if len(fired) >= min_fired:
                rates.setdefault(stratum, {})[name] = rate(fired)
        if len(pooled) >= min_fired:
            rates.setdefault("all", {})[name] = rate(pooled)
    rn = {"signal_rates": rates}

    def final(j):  # the stored contradiction is the LR score (no floor); add the floors
        if not j.between_sources:
            return 0.0
        return signal_floor(j.contradiction, j.signals, nli_stratum(*probs(j)), rates, synthetic)

    best: dict[tuple, tuple[float, str]] = {}
    for j, lab, key in rows:
        p = final(j)
        if key not in best or p > best[key][0]:
            best[key] = (p, lab)
    ps = np.array([v[0] for v in best.values()])
    ys = np.array([v[1] == "contradiction" for v in best.values()], dtype=int)
    grid = np.round(np.arange(0.3, 0.991, 0.01), 2)
    chosen = None
    for t in grid:
        prec, rec, f1 = _pr(ps, ys, float(t))
        if prec >= target_precision and (ps >= t).sum() >= min_flags:
            chosen = (float(t), prec, rec, f1)
            break
    if chosen is None:  # the target is out of reach: the most precise threshold with enough flags
        ok = [t for t in grid if (ps >= t).sum() >= min_flags] or list(grid)
        t = max(ok, key=lambda t: (_pr(ps, ys, float(t))[0], _pr(ps, ys, float(t))[1], -t))
        chosen = (float(t), *_pr(ps, ys, float(t)))
    t, prec, rec, f1 = chosen
    rn.update(threshold=t, dev={"set": "ClaimDiff + CNN/DM dev stories (checker.realnews) with the dev planted errors",
                               "sentence_pairs": int(len(ys)), "contradictions": int(ys.sum()),
                               "precision_at_threshold": round(prec, 4), "recall_at_threshold": round(rec, 4),
                               "flags_at_threshold": int((ps >= t).sum()), "target_precision": target_precision,
                               "min_fired": min_fired, "min_flags": min_flags})
    from .nli_models import resolve

    ref = resolve(nli_model, allow_download)
    cal = _existing(out, ref)
    cal.setdefault("model", model_entry(ref))
    cal["realnews"] = rn
    out.write_text(json.dumps(cal, indent=1) + "\n")
    say(f"real-news layer: threshold {t} (dev precision {prec:.2f}, recall {rec:.2f}); signal rates {rates}; wrote {out}")
    return rn
