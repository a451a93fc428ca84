"""End-to-end time of one long single-paragraph article against a folder of articles with the
same text, stage by stage.

    python benchmarks/bench_long_paragraph.py [--eval-dir ../shared/data/eval] [--mb 0.3 1.2]
                                              [--layouts paragraph folder] [--threads 2]
                                              [--out benchmarks/results/long_paragraph.json]

The text is real news and web prose from the evaluation sets (QAGS and SummEval CNN/DailyMail
articles, then the prose lines of WiCE's cited web pages), taken in a fixed order until the
size is reached. ``paragraph`` joins it into one line in one .txt file (the issue-10 case:
"a 1.2 MB single paragraph takes ~7 minutes"); ``folder`` writes each source article to its own
.txt file: the same characters, in many articles.

Each case runs in a fresh Python process doing what ``checker contradictions PATH --format json
-o FILE`` does (``checker.pipeline.run`` then ``checker.report.render``), so that the model
loading, the peak memory (max RSS) and the CPU time belong to that case alone. Reported per
case: wall and CPU seconds, seconds per MB of text, the pipeline's own stage timings
(``Result.timings``), sentence / claim / pair counts, max RSS. No timed assertion anywhere:
this is a measurement, and the machine is shared (the CPU seconds are the steadier number).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _results import write_results  # benchmarks/_results.py (the script's folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "data" / "eval"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "long_paragraph.json"
STAGES = ("ingest", "load_models", "claims", "embed", "stories", "cluster", "compare")


def _prose(s: str) -> bool:
    return len(s.split()) >= 8 and bool(re.search(r"[.!?\"'”’]$", s.strip())) and not s.startswith("(meta data)")


def source_articles(eval_dir: Path) -> list[tuple[str, str]]:
    """(source, text) of every distinct article, in a fixed order."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []

    def add(src: str, text: str) -> None:
        text = " ".join(text.split())
        if len(text) > 300 and text[:100] not in seen:
            seen.add(text[:100])
            out.append((src, text))

    with open(eval_dir / "qags" / "mturk_cnndm.jsonl", encoding="utf-8") as fh:
        for line in fh:
            add("qags", json.loads(line)["article"])
    with open(eval_dir / "summeval" / "summeval_consistency.jsonl", encoding="utf-8") as fh:
        for line in fh:  # tokenized CNN/DM text: put the punctuation back
            t = json.loads(line)["document"]
            add("summeval", re.sub(r" ([.,;:!?'])", r"\1", t).replace("`` ", '"').replace(" ''", '"'))
    with open(eval_dir / "wice" / "entailment_retrieval_claim" / "dev.jsonl", encoding="utf-8") as fh:
        for line in fh:
            ev = json.loads(line)["evidence"]
            ev = ast.literal_eval(ev) if isinstance(ev, str) else ev
            add("wice", " ".join(s for s in ev if _prose(s)))
    return out


def make_case(eval_dir: Path, mb: float, layout: str, folder: Path) -> dict:
    arts, target, parts, n = source_articles(eval_dir), int(mb * 1_000_000), [], 0
    for src, text in arts:
        if n >= target:
            break
        parts.append((src, text))
        n += len(text.encode("utf-8")) + 1
    if n < target:
        raise SystemExit(f"only {n:,} bytes of distinct text in {eval_dir}; ask for less than {mb} MB")
    folder.mkdir(parents=True)
    if layout == "paragraph":
        (folder / "long.txt").write_text(" ".join(t for _, t in parts) + "\n", encoding="utf-8")
    else:
        for i, (src, text) in enumerate(parts):
            (folder / f"{i:04d}_{src}.txt").write_text(text + "\n", encoding="utf-8")
    files = list(folder.iterdir())
    return {"files": len(files), "bytes": sum(f.stat().st_size for f in files),
            "sources": {s: sum(1 for x, _ in parts if x == s) for s in ("qags", "summeval", "wice")}}


def child(path: str, out: str) -> None:
    """One case, in this (fresh) process: what ``checker contradictions PATH --format json -o OUT`` runs."""
    w, c = time.perf_counter(), time.process_time()
    from checker import report
    from checker.config import Config
    from checker.pipeline import run

    res = run([path], config=Config.default(progress=True))
    Path(out).write_text(report.render(res, "contradictions", "json"), encoding="utf-8")
    print(json.dumps({"wall_s": round(time.perf_counter() - w, 2), "cpu_s": round(time.process_time() - c, 2),
                      "timings": res.timings, "sentences": len(res.sentences), "claims": len(res.claims),
                      "stories": len(res.stories), "clusters": len(res.clusters), "stats": res.stats,
                      "contradictions": len(res.contradictions()),
                      "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    ap.add_argument("--mb", type=float, nargs="+", default=[0.3, 1.2])
    ap.add_argument("--layouts", nargs="+", default=["paragraph", "folder"], choices=["paragraph", "folder"])
    ap.add_argument("--threads", type=int, default=None, help="torch threads in the child (default: torch's)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON ('-' for none)")
    ap.add_argument("--child", nargs=2, metavar=("PATH", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)
    results = {"benchmark": "end-to-end contradictions run: one long paragraph vs a folder of the same text",
               "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "python": platform.python_version(), "cpus": os.cpu_count(),
               "load_average_at_start": os.getloadavg()[0], "cases": []}
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb:
            for layout in args.layouts:
                folder = Path(tmp) / f"{layout}-{mb}"
                case = {"mb": mb, "layout": layout, **make_case(args.eval_dir, mb, layout, folder)}
                p = subprocess.run([sys.executable, __file__, "--child", str(folder), str(Path(tmp) / "out.json")],
                                   env=env, capture_output=True, text=True)
                if p.returncode != 0:
                    raise SystemExit(f"{layout} {mb} MB failed:\n{p.stderr[-3000:]}")
                case.update(json.loads(p.stdout.strip().splitlines()[-1]))
                case["s_per_mb"] = round(case["wall_s"] / (case["bytes"] / 1e6), 1)
                case["cpu_s_per_mb"] = round(case["cpu_s"] / (case["bytes"] / 1e6), 1)
                case["load_average_after"] = round(os.getloadavg()[0], 2)
                results["cases"].append(case)
                t = case["timings"]
                print(f"{layout:9} {case['bytes'] / 1e6:5.2f} MB {case['files']:4} file(s): {case['wall_s']:7.1f} s wall "
                      f"({case['s_per_mb']:6.1f} s/MB), {case['cpu_s']:7.1f} s CPU, {case['claims']:6} claims, "
                      f"max RSS {case['max_rss_mb']} MB | " + " ".join(f"{k} {t.get(k, 0):.1f}" for k in STAGES),
                      flush=True)
    write_results(args.out, results)


if __name__ == "__main__":
    main()
