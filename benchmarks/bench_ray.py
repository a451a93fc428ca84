"""The Ray runner (issue 12, part 4) against the single-process path: `checker add DIR --store`
with and without `--ray auto` on the same real articles, each a fresh process (wall time includes
imports, model loading and, with Ray, starting a local Ray instance on every core of this
machine), and the two stores compared table by table.

Articles: the first N of the shuffled CNN/DailyMail source documents of SummEval + QAGS-CNNDM
(benchmarks/bench_store.py's ``articles``; ../shared/data/eval), plus the five real articles of
``seeds/`` (one story with contradictions, so that NLI pairs are judged).

    python benchmarks/bench_ray.py --n 40 --json benchmarks/results/ray.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_store import articles, write  # noqa: E402

from checker.store.sqlite import store_rows  # noqa: E402


def contradictions(path: Path) -> list:
    import checker
    from checker.store import SQLiteStore, load_result

    st = SQLiteStore(path)
    try:
        return load_result(st, checker.Config.default(progress=False)).contradictions()
    finally:
        st.close()


def run(args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "checker", "add", *args, "-q"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"checker add {' '.join(args)} failed:\n{p.stderr[-3000:]}")
    return round(wall, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = write(articles(a.eval_dir)[: a.n], tmp / "in")
        for f in sorted((ROOT / "seeds").glob("0*.txt")):
            (src / f"seed_{f.name}").write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        single = run([str(src), "--store", str(tmp / "single.db")])
        ray = run([str(src), "--store", str(tmp / "ray.db"), "--ray", "auto"])
        x, y = store_rows(tmp / "single.db"), store_rows(tmp / "ray.db")
        res = dict(articles=a.n + 5, cpus=os.cpu_count(), load=os.getloadavg(), python=platform.python_version(),
                   single_process_wall_s=single, ray_auto_wall_s=ray,
                   tables_equal={t: x[t] == y[t] for t in x}, claims=len(x["claims"]), judgements=len(x["judgements"]),
                   contradictions=[len(contradictions(tmp / f)) for f in ("single.db", "ray.db")])
    import ray as _ray
    res["ray"] = _ray.__version__
    print(json.dumps(res, indent=1))
    if a.json:
        a.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
