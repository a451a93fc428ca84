"""Seeds end-to-end timing: cold (fresh process: imports + model loads + run) and warm
(same process, models loaded), with the time split by stage.

    python benchmarks/bench_seeds.py [--repeat 2] [--baseline-all-pairs] [--json out.json]

Ratios are reported against baselines measured in the same run: warm/cold, and with
--baseline-all-pairs, our candidate-pair selection against NLI on *every* cross-source
claim pair (no clustering / neighbour search).
"""

from __future__ import annotations


import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # run from a checkout



import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def cold() -> float:
    code = ("import time; t=time.perf_counter(); import checker; "
            f"checker.run([{str(SEEDS)!r}], reference={str(SEEDS / 'reference.txt')!r}, "
            "config=checker.Config.default(progress=False)); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--baseline-all-pairs", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import checker

    cfg = checker.Config.default(progress=False)
    t_cold = cold()
    checker.run([SEEDS], reference=SEEDS / "reference.txt", config=cfg)  # load models in this process
    warm, stages = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = checker.run([SEEDS], reference=SEEDS / "reference.txt", config=cfg)
        warm.append(time.perf_counter() - t)
        stages.append(res.timings)
    t_warm = min(warm)
    best = stages[warm.index(t_warm)]
    report = {"cold_s": round(t_cold, 2), "warm_s": round(t_warm, 2), "warm_over_cold": round(t_warm / t_cold, 3),
              "stages_warm_s": best, "claims": len(res.claims), "pairs": len(res.judgements),
              "contradictions": len(res.contradictions())}
    print(f"seeds: {len(res.documents)} docs, {len(res.claims)} claims, {len(res.judgements)} NLI pairs")
    print(f"cold (new process, incl. model loads): {t_cold:7.2f} s")
    print(f"warm (models loaded):                  {t_warm:7.2f} s   ratio warm/cold {t_warm / t_cold:.2f}")
    for k, v in best.items():
        print(f"  {k:12s} {v:7.2f} s  {100 * v / max(1e-9, sum(best.values())):5.1f}%")
    if args.baseline_all_pairs:
        from checker.cluster import candidate_pairs as cp
        import checker.pipeline as pl

        def all_pairs(claims, vecs, clusters, min_sim, per_claim):
            return [(i, j, float(vecs[i] @ vecs[j])) for i in range(len(claims)) for j in range(i + 1, len(claims))
                    if claims[i].doc != claims[j].doc]

        pl.candidate_pairs = all_pairs
        t = time.perf_counter()
        base = checker.run([SEEDS], reference=SEEDS / "reference.txt", config=cfg)
        t_base = time.perf_counter() - t
        pl.candidate_pairs = cp
        report.update({"all_pairs_baseline_s": round(t_base, 2), "all_pairs_baseline_pairs": len(base.judgements),
                       "speedup_vs_all_pairs": round(t_base / t_warm, 2),
                       "all_pairs_baseline_contradictions": len(base.contradictions())})
        print(f"baseline, NLI on all cross-source pairs: {t_base:7.2f} s ({len(base.judgements)} pairs) "
              f"-> candidate selection is {t_base / t_warm:.1f}x faster")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
