"""Benchmark harness on the human-annotated sets in ../shared/data/eval.

Per set: ROC AUC, balanced accuracy at the calibrated threshold, examples/second, and the
published anchors beside ours. None of the reported data is used for training or
calibration (SummEval's dev half, which calibrates the document score, is not reported).

* summeval — (CNN/DM article, summary); consistent iff all three experts gave 5. Test
  half only (800 summaries of 50 articles): the other half is the dev set on which
  ``checker calibrate --document`` fits the document probability and threshold.
* qags_summary / qags_sentence — QAGS-CNNDM; summary consistent iff every sentence has a
  majority "yes"; sentence label = majority.
* wice — WiCE dev claims vs the sentences of their cited article; supported vs the rest.
* anli_r1/r2/r3 — 3-way accuracy of the NLI model.
* claimdiff_w — ClaimDiff-W train: does claim B weaken claim A (our P(contradiction)).
* propsegment / factcheck_gpt — claim splitting vs human propositions: F1 of propositions
  matched one-to-one at token Jaccard >= 0.8 (PropSegmEnt's metric).

* xsum_len — speed only, not in the default run: ~400-word articles with one summary sentence
  each (:func:`xsum_length_pairs`; there is no XSum/MNBM data here).

Run: ``python benchmarks/eval_harness.py [--limit N] [--sets ...] [--json out.json] [--nli-model PATH_OR_ID]``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np

ANCHORS = {
    "summeval": "SummaC-Conv AUC 86.0 / BAcc 81.7 (SummaC test split); TrueTeacher T5-11B AUC 88.5",
    "qags_summary": "TrueTeacher T5-11B AUC 89.4",
    "qags_sentence": "-",
    "wice": "T5-3B ANLI-only Acc 74.0 (100-claim oracle subset); MiniCheck-7B BAcc 83.0 (AggreFact-WiCE)",
    "anli_r1": "RoBERTa-L test acc 72.4", "anli_r2": "RoBERTa-L test acc 49.8", "anli_r3": "RoBERTa-L test acc 44.4",
    "claimdiff_w": "humans beat baselines by >19 points (no per-model number)",
    "propsegment": "T5-Large F1 55.5, humans 67.1",
    "factcheck_gpt": "-",
}
SETS = tuple(ANCHORS)


def _auc(y, s):
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def _bacc(y, s, t):
    y, p = np.asarray(y, dtype=bool), np.asarray(s) >= t
    return float(0.5 * (p[y].mean() + (~p[~y]).mean())) if 0 < y.sum() < len(y) else float("nan")


def _toks(s: str) -> set:
    return set(re.findall(r"\w+", s.lower()))


def split_f1(pred: list[set], gold: list[set], thr: float = 0.8) -> tuple[int, int, int]:
    """(matched, n_pred, n_gold) with greedy one-to-one matching at Jaccard >= thr."""
    used, m = set(), 0
    for p in pred:
        best, bj = None, 0.0
        for k, g in enumerate(gold):
            if k in used or not (p | g):
                continue
            j = len(p & g) / len(p | g)
            if j > bj:
                best, bj = k, j
        if best is not None and bj >= thr:
            used.add(best)
            m += 1
    return m, len(pred), len(gold)


def summeval_split(eval_dir: Path, part: str) -> list[dict]:
    """SummEval rows of one document-disjoint half: the 100 articles sorted by id,
    even positions = ``dev`` (used to choose the aggregation and the document-level
    threshold), odd positions = ``test`` (the only half this harness reports); ``all`` = 1600."""
    rows = [json.loads(line) for line in open(Path(eval_dir) / "summeval/summeval_consistency.jsonl")]
    if part == "all":
        return rows
    ids = sorted({r["doc_id"] for r in rows})
    keep = set(ids[0::2] if part == "dev" else ids[1::2])
    return [r for r in rows if r["doc_id"] in keep]


def _first_sentence(text: str) -> str:
    """The words of ``text`` up to its first sentence-final token (SummEval summaries are
    tokenised: "... on sunday . ` just been ..."), else the whole text."""
    words = text.split()
    for i, w in enumerate(words):
        if w in (".", "!", "?") or (len(w) > 1 and w[-1] in ".!?" and w[-2].isalpha() and "." not in w[:-1]):
            return " ".join(words[: i + 1])
    return " ".join(words)


def _cut_words(text: str, words: int = 400, slack: int = 80) -> str:
    """The first ``words`` words of ``text``, extended to the end of that sentence (at most
    ``slack`` words more; a hard cut otherwise)."""
    w = text.split()
    if len(w) <= words:
        return " ".join(w)
    for i in range(words - 1, min(len(w), words + slack)):
        if w[i] in (".", "!", "?") or w[i].endswith((".", "!", "?", ".'", '."')):
            return " ".join(w[: i + 1])
    return " ".join(w[:words])


def xsum_length_pairs(eval_dir: Path, n: int = 100, per_source: int = 1, words: int = 400) -> list[tuple[str, str]]:
    """A speed set shaped like XSum / MNBM (no XSum data is available here): SummEval's CNN/DM
    articles (all 100, sorted by id) cut after the sentence holding their ``words``-th word
    (~400 words; a shorter article whole), each paired with the first sentence of
    ``per_source`` of its 16 system summaries (systems taken in turn), ``n`` pairs in all.
    No labels: the first sentence of a summary has no consistency rating of its own."""
    rows = [json.loads(line) for line in open(Path(eval_dir) / "summeval/summeval_consistency.jsonl")]
    by_doc: dict[str, list[dict]] = {}
    for r in rows:
        by_doc.setdefault(r["doc_id"], []).append(r)
    out = []
    for i, doc_id in enumerate(sorted(by_doc)):
        rs = sorted(by_doc[doc_id], key=lambda r: r["system"])
        src = _cut_words(rs[0]["document"], words)
        for j in range(per_source):
            out.append((src, _first_sentence(rs[(i * per_source + j) % len(rs)]["summary"])))
            if len(out) >= n:
                return out
    return out


SPEED_SETS = ("xsum_len",)  # speed only (no labels); not in the default run


class Harness:
    def __init__(self, eval_dir: Path, limit: int = 0, say=print, config=None):
        """``config``: the :class:`~checker.config.Config` to run (e.g. ``Config.default(
        nli_model=...)`` for ``--nli-model``); default the shipped one."""
        from .verify import Verifier

        self.dir, self.limit, self.say = Path(eval_dir), limit, say
        self.v = Verifier(config)
        self.t_doc = self.v.doc_cal.get("threshold", 0.5)
        self.t_contra = self.v.config.thresholds["contradiction"]

    def _cut(self, rows):
        return rows[: self.limit] if self.limit else rows

    def _doc_level(self, pairs, labels):
        t0 = time.perf_counter()
        scores = self.v.consistency(pairs)
        dt = time.perf_counter() - t0
        return {"roc_auc": _auc(labels, scores), "balanced_accuracy": _bacc(labels, scores, self.t_doc),
                "threshold": self.t_doc, "n": len(pairs), "positives": int(np.sum(labels)),
                "examples_per_s": len(pairs) / dt}

    def _speed(self, pairs):
        t0 = time.perf_counter()
        self.v.consistency(pairs)
        dt = time.perf_counter() - t0
        return {"n": len(pairs), "sources": len(set(s for s, _ in pairs)),
                "source_words": float(np.mean([len(s.split()) for s, _ in pairs])), "examples_per_s": len(pairs) / dt}

    def xsum_len(self):
        """Speed on XSum-length documents (:func:`xsum_length_pairs`, one summary sentence per
        ~400-word article; ``--limit`` sets the count, default 100)."""
        return self._speed(xsum_length_pairs(self.dir, n=self.limit or 100))

    def summeval(self):
        rows = self._cut(summeval_split(self.dir, "test"))
        return self._doc_level([(r["document"], r["summary"]) for r in rows],
                               [int(r["label_binary_all_experts_5"]) for r in rows])

    def _qags(self):
        return self._cut([json.loads(line) for line in open(self.dir / "qags/mturk_cnndm.jsonl")])

    @staticmethod
    def _yes(s):
        return sum(r["response"] == "yes" for r in s["responses"]) * 2 > len(s["responses"])

    def qags_summary(self):
        rows = self._qags()
        return self._doc_level([(r["article"], " ".join(s["sentence"] for s in r["summary_sentences"])) for r in rows],
                               [int(all(self._yes(s) for s in r["summary_sentences"])) for r in rows])

    def qags_sentence(self):
        rows = self._qags()
        return self._doc_level([(r["article"], s["sentence"]) for r in rows for s in r["summary_sentences"]],
                               [int(self._yes(s)) for r in rows for s in r["summary_sentences"]])

    def wice(self):
        rows = [json.loads(line) for line in open(self.dir / "wice/entailment_retrieval_claim/dev.jsonl")]
        rows = self._cut(rows)
        return self._doc_level([(" ".join(r["evidence"]), r["claim"]) for r in rows],
                               [int(r["label"] == "supported") for r in rows])

    def _anli(self, rnd):
        rows = self._cut([json.loads(line) for line in open(self.dir / f"anli/{rnd}_dev.jsonl")])
        t0 = time.perf_counter()
        probs = self.v.nli.predict([(r["context"], r["hypothesis"]) for r in rows])
        dt = time.perf_counter() - t0
        lab = np.array(["enc".index(r["label"]) for r in rows])
        pred = probs.argmax(1)
        y_c = (lab == 2).astype(int)
        return {"accuracy_3way": float((pred == lab).mean()), "roc_auc": _auc(y_c, probs[:, 2]),
                "balanced_accuracy": float(np.mean([(pred[lab == k] == k).mean() for k in range(3) if (lab == k).any()])),
                "threshold": "argmax", "n": len(rows), "examples_per_s": len(rows) / dt}

    def anli_r1(self):
        return self._anli("R1")

    def anli_r2(self):
        return self._anli("R2")

    def anli_r3(self):
        return self._anli("R3")

    def claimdiff_w(self):
        from .compare import combine, pair_features
        from .embed import embed
        from .signals import facts

        data = json.load(open(self.dir / "claimdiff/ClaimDiff-W/ClaimDiff-weak-train.json"))["data"]
        rows = self._cut(data)
        t0 = time.perf_counter()
        a, b = [r["claim_a"] for r in rows], [r["claim_b"] for r in rows]
        va, vb = embed(a, self.v.embedder), embed(b, self.v.embedder)
        probs = self.v.nli.predict([x for r in rows for x in ((r["claim_a"], r["claim_b"]), (r["claim_b"], r["claim_a"]))])
        fa = [facts(d) for d in self.v.nlp.pipe(a)]
        fb = [facts(d) for d in self.v.nlp.pipe(b)]
        scores = [combine(self.v.config.combiner,
                          *pair_features(probs[2 * k], probs[2 * k + 1], float(va[k] @ vb[k]), fa[k], fb[k]))[0]
                  for k in range(len(rows))]
        dt = time.perf_counter() - t0
        y = [int(r["relation"]) for r in rows]
        return {"roc_auc": _auc(y, scores), "balanced_accuracy": _bacc(y, scores, self.t_contra),
                "threshold": self.t_contra, "n": len(rows), "positives": int(sum(y)), "examples_per_s": len(rows) / dt}

    def _split_scores(self, items):
        from .claims.decompose import decompose

        t0 = time.perf_counter()
        m = npred = ngold = 0
        for sentence, gold in items:
            doc = self.v.nlp(sentence)
            pred = [_toks(c.text) for s in doc.sents for c in decompose(s)] or [_toks(sentence)]
            a, b, c = split_f1(pred, gold)
            m, npred, ngold = m + a, npred + b, ngold + c
        dt = time.perf_counter() - t0
        p, r = m / max(1, npred), m / max(1, ngold)
        return {"f1": 2 * p * r / max(1e-9, p + r), "precision": p, "recall": r, "n": len(items),
                "examples_per_s": len(items) / dt}

    def propsegment(self):
        clusters = json.load(open(self.dir / "propsegment/v1/document_clusters.dev.json"))
        sents = {}
        for cl in clusters:
            for d in cl["documents"]:
                for i, s in enumerate(d["sentences"]):
                    sents[(cl["cluster_id"], d["document_id"], i)] = s
        items = []
        for p in json.load(open(self.dir / "propsegment/v1/propositions.dev.json")):
            sid = p["sentence_id"]
            s = sents.get((sid["cluster_id"], sid["document_id"], sid["sentence_index"]))
            ref = next((r for r in p["segmentation_responses"] if r["is_reference_response"]), None)
            if s is None or ref is None or ref["non_informational"]:
                continue
            toks = [t["text"] for t in s["tokens"]]
            gold = [_toks(" ".join(toks[i] for i in prop["token_indices"] if i < len(toks))) for prop in ref["propositions"]]
            items.append((s["sentence_text"], gold))
        return self._split_scores(self._cut(items))

    def factcheck_gpt(self):
        items = []
        for line in open(self.dir / "factcheck_gpt/factcheck-GPT-benchmark.jsonl"):
            r = json.loads(line)
            for s in r["sentences"].values():
                if s.get("claims"):
                    items.append((s["text"], [_toks(c) for c in s["claims"]]))
        return self._split_scores(self._cut(items))

    def run(self, sets=SETS) -> dict:
        out = {}
        for name in sets:
            self.say(f"evaluating {name}")
            t0 = time.perf_counter()
            res = getattr(self, name)()
            res["seconds"] = time.perf_counter() - t0
            res = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}
            res["anchor"] = ANCHORS.get(name, "speed only (no labels)")
            out[name] = res
        return out


def table(results: dict) -> str:
    lines = ["| set | n | ROC AUC | BAcc @thr | acc / F1 | ex/s | anchor |", "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        auc = f"{100 * r['roc_auc']:.1f}" if "roc_auc" in r and r["roc_auc"] == r["roc_auc"] else "-"
        bacc = f"{100 * r['balanced_accuracy']:.1f}" if "balanced_accuracy" in r and r["balanced_accuracy"] == r["balanced_accuracy"] else "-"
        other = f"acc {100 * r['accuracy_3way']:.1f}" if "accuracy_3way" in r else (f"F1 {100 * r['f1']:.1f}" if "f1" in r else "-")
        lines.append(f"| {name} | {r['n']} | {auc} | {bacc} | {other} | {r['examples_per_s']:.1f} | {r['anchor']} |")
    return "\n".join(lines)
