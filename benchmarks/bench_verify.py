"""Document-vs-text speed: the batched path (``Verifier.raw_scores``, what ``consistency()``,
``checker verify`` and the harness run) against the straightforward path it replaced
(``Verifier.raw_scores_reference``), timed in the same process on the same inputs, so the
ratio holds on a loaded machine even when the absolute numbers drift.

    python benchmarks/bench_verify.py                      # all sets -> benchmarks/results/verify_speed.json
    python benchmarks/bench_verify.py --sets xsum_len --repeats 3 --stages

Sets (from ../shared/data/eval; ``--eval-dir`` to point elsewhere):

* xsum_len — XSum-length documents: the 100 SummEval CNN/DM articles cut after the sentence
  holding their 400th word, each with the first sentence of one system summary (one summary per
  source: nothing is shared; ``checker.evaluate.xsum_length_pairs``);
* xsum_len_x5 — the same shape with 5 summaries per article (20 articles), like MNBM (500 XSum
  articles x 5 systems);
* summeval100 — the first 100 pairs of the SummEval test half (16 summaries per article);
* qags_summary — all 235 QAGS-CNNDM summaries (one per article);
* wice50 — the first 50 WiCE dev claims vs their cited article (long pages, one claim each).

Threads: the old path runs torch on ``torch_threads`` intra-op threads (torch's default: the
core count, or ``--threads``); the new path on ``Verifier.workers`` (the same number) Python
threads of one torch thread each. ``--threads 1`` compares the two on one core.

Each set runs the old and the new path ``--repeats`` times, alternating which goes first, with
both source caches emptied before every run; the best time of each is reported, with the largest
|raw score difference| between the two paths.
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # run from a checkout

import argparse
import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from checker.evaluate import summeval_split, xsum_length_pairs


def load_sets(eval_dir: Path) -> dict[str, list[tuple[str, str]]]:
    qags = [json.loads(line) for line in open(eval_dir / "qags/mturk_cnndm.jsonl")]
    wice = [json.loads(line) for line in open(eval_dir / "wice/entailment_retrieval_claim/dev.jsonl")]
    return {
        "xsum_len": xsum_length_pairs(eval_dir, n=100, per_source=1),
        "xsum_len_x5": xsum_length_pairs(eval_dir, n=100, per_source=5),
        "summeval100": [(r["document"], r["summary"]) for r in summeval_split(eval_dir, "test")[:100]],
        "qags_summary": [(r["article"], " ".join(s["sentence"] for s in r["summary_sentences"])) for r in qags],
        "wice50": [(" ".join(r["evidence"]), r["claim"]) for r in wice[:50]],
    }


class Stages:
    """Seconds spent in spaCy (``nlp.pipe``), the embedder (``checker.embed.embed`` and the
    threaded ``Verifier._embed``) and the NLI model (``predict`` / ``predict_parallel``), by
    wrapping those calls for the duration of one run."""

    def __init__(self, v):
        import checker.embed

        self.t = defaultdict(float)
        self.depth = defaultdict(int)  # only the outermost of nested calls of one stage is timed
        self._saved = []
        self._wrap(checker.embed, "embed", "embed")
        self._wrap(v, "_embed", "embed")
        self._wrap(v.nli, "predict", "nli")
        self._wrap(v.nli, "predict_parallel", "nli")
        self._wrap(v.nlp, "pipe", "spacy", generator=True)

    def _wrap(self, obj, name, stage, generator=False):
        if not hasattr(obj, name):
            return
        orig, t, depth = getattr(obj, name), self.t, self.depth

        def gen(*a, **k):
            it = iter(orig(*a, **k))
            while True:
                t0 = time.perf_counter()
                try:
                    x = next(it)
                except StopIteration:
                    t[stage] += time.perf_counter() - t0
                    return
                t[stage] += time.perf_counter() - t0
                yield x

        def call(*a, **k):
            t0 = time.perf_counter()
            depth[stage] += 1
            try:
                return orig(*a, **k)
            finally:
                depth[stage] -= 1
                if not depth[stage]:
                    t[stage] += time.perf_counter() - t0

        self._saved.append((obj, name, obj.__dict__.get(name)))
        setattr(obj, name, gen if generator else call)

    def close(self):
        for obj, name, before in reversed(self._saved):
            if before is None:
                delattr(obj, name)  # the instance attribute we added; the class's method shows again
            else:
                setattr(obj, name, before)


def timed(v, fn, pairs, stages: bool):
    v._sources.clear()
    v._ref_sources.clear()
    st = Stages(v) if stages else None
    t0 = time.perf_counter()
    try:
        raw = fn(pairs)
    finally:
        dt = time.perf_counter() - t0
        if st:
            st.close()
    return raw, dt, (dict(st.t) if st else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data/eval")
    ap.add_argument("--sets", nargs="+", default=["xsum_len", "xsum_len_x5", "summeval100", "qags_summary", "wice50"])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--stages", action="store_true", help="also report seconds in spaCy / embedder / NLI per path")
    ap.add_argument("--nli-model", metavar="PATH_OR_ID", default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (Config.threads)")
    ap.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results/verify_speed.json")
    args = ap.parse_args()

    import torch

    from checker.config import Config
    from checker.verify import Verifier

    v = Verifier(Config.default(progress=False, nli_model=args.nli_model, threads=args.threads))
    sets = load_sets(args.eval_dir)
    warm = sets["xsum_len"][:3]
    v.raw_scores_reference(warm)
    v.raw_scores(warm)
    out = {"machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                       "new_path_workers": v.workers,
                       "load_average_at_start": list(os.getloadavg()), "python": platform.python_version()},
           "sets": {}}
    for name in args.sets:
        pairs = sets[name]
        best = {"old": float("inf"), "new": float("inf")}
        stage_t = {}
        diff = 0.0
        for rep in range(args.repeats):
            order = ("old", "new") if rep % 2 == 0 else ("new", "old")
            raws = {}
            for path in order:
                fn = v.raw_scores_reference if path == "old" else v.raw_scores
                raws[path], dt, st = timed(v, fn, pairs, args.stages)
                if dt < best[path]:
                    best[path] = dt
                    if st:
                        stage_t[path] = {k: round(x, 2) for k, x in st.items()}
            diff = max(diff, float(np.abs(np.array(raws["old"]) - np.array(raws["new"])).max()))
        res = {"n": len(pairs), "sources": len({s for s, _ in pairs}),
               "source_words_mean": round(float(np.mean([len(s.split()) for s, _ in pairs])), 1),
               "old_examples_per_s": round(len(pairs) / best["old"], 2),
               "new_examples_per_s": round(len(pairs) / best["new"], 2),
               "speedup": round(best["old"] / best["new"], 2),
               "old_seconds": round(best["old"], 2), "new_seconds": round(best["new"], 2),
               "max_abs_raw_score_diff": diff, "repeats": args.repeats}
        if stage_t:
            res["stage_seconds"] = stage_t
        out["sets"][name] = res
        print(f"{name:13s} n={res['n']:4d} old {res['old_examples_per_s']:6.2f} ex/s  new {res['new_examples_per_s']:6.2f} ex/s"
              f"  x{res['speedup']:.2f}  max|diff| {diff:.1e}" + (f"  stages {stage_t}" if stage_t else ""), flush=True)
    out["machine"]["load_average_at_end"] = list(os.getloadavg())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
