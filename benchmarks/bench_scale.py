"""Issue 12's must-show scale runs: a store of N articles built by one ``checker add`` command,
for N = 100, 1,000, 10,000 (``--sizes``), on the scale corpus (benchmarks/scale_corpus.py: the
867 real articles, then paragraphs of real articles recombined up to N, seeded).

For each N, every command a fresh process, cold (imports and model loading included), timed
with its own peak RSS (``os.wait4``):

* ``checker add <corpus N> --store sN.db -q``: wall, peak RSS (the process's own, and summed
  with its spaCy worker processes, sampled), claims, stories, NLI pairs (the
  judgements the store holds), per-stage seconds (from ``checker.store.add.add``'s counts, via
  a second identical JSON line the child prints);
* ``checker add <100 more> --store sN.db -q``: adding 100 to a store of N;
* ``checker contradictions --store sN.db --format json``: the contradiction list, scored on
  the labelled real-news set mixed into the corpus (benchmarks/realnews: its ClaimDiff and
  CNN/DM stories, dev and test, with the planted errors): flags, true, recall, and flags
  between a labelled article and a filler article (all false by construction);
* with ``--one-shot N``: ``checker contradictions <corpus N> --format json`` (the one-shot path);
* once: the one-shot run on the labelled articles alone -- the recall that pruning at scale
  must not lower.

Growth: the exponent ``b`` of ``y = a N^b`` fitted by least squares on log-log over the sizes,
for wall time (with and without the fixed cost of imports and model loading) and NLI pairs.

    python benchmarks/bench_scale.py --sizes 100 1000 10000 --one-shot 1000 \
        --json benchmarks/results/scale.json

Torch threads: ``--threads`` (sets ``CHECKER_THREADS`` for the children; default: the
checker's own default). Precision: the checker's default (``auto``: bf16 on CPUs with native
bf16). The machine, its load average before and after each step and both settings are recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

MORE = 100

ADD_CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import checker
from checker.store.add import add
from checker.store import SQLiteStore
db, paths = sys.argv[1], sys.argv[2:]
st = SQLiteStore(db)
out = add(paths, st, checker.Config.default(progress=False))
out["problems"] = len(out["problems"])
out["stored"] = st.counts()
st.close()
print("@@" + json.dumps(out))
"""


def tree_rss_mb(pid: int) -> float:
    """The summed RSS of ``pid`` and all its descendants now (from /proc), in MB."""
    parent, rss = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/status") as fh:
                st = dict(line.split(":", 1) for line in fh if ":" in line)
            parent[int(d)] = int(st["PPid"])
            rss[int(d)] = int(st.get("VmRSS", "0 kB").split()[0])
        except (OSError, KeyError, ValueError):
            continue
    total = 0
    for q in rss:
        a = q
        while a and a != pid:
            a = parent.get(a, 0)
        if a == pid:
            total += rss[q]
    return total / 1024


def timed(cmd: list[str], env: dict, ok: tuple[int, ...] = (0,)) -> tuple[dict, str]:
    """Run ``cmd``; its wall time, peak RSS (its own ``ru_maxrss`` via wait4), the peak summed
    RSS of it and its worker processes (sampled every 0.5 s) and its stdout."""
    import threading

    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, text=True)
        peak, done = [0.0], threading.Event()

        def sample() -> None:
            while not done.wait(0.5):
                peak[0] = max(peak[0], tree_rss_mb(p.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, ru = os.wait4(p.pid, 0)
        done.set()
        sampler.join()
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {p.returncode}: {stderr[-3000:]}")
    return {"exit_code": p.returncode, "wall_s": round(wall, 2), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
            "peak_tree_rss_mb": round(peak[0], 1), "load_before": round(load0, 2),
            "load_after": round(os.getloadavg()[0], 2)}, stdout


def add_step(db: Path, folder: Path, env: dict) -> dict:
    """``checker add`` as the CLI runs it (``checker.store.add.add`` with the default config),
    in a child that also prints add's counts."""
    row, stdout = timed([sys.executable, "-c", ADD_CHILD.format(root=str(ROOT)), str(db), str(folder)], env)
    row.update(json.loads(next(x[2:] for x in stdout.splitlines() if x.startswith("@@"))))
    row["distinct_nli_inputs"] = distinct_nli_inputs(db)
    return row


def distinct_nli_inputs(db: Path) -> int:
    """Distinct (claim text, claim text) pairs among the store's NLI-judged rows: what the NLI
    model computes (a statement pair repeated at many copies is one computation, many rows)."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM (SELECT DISTINCT ca.text, cb.text FROM judgements j JOIN claims ca "
                           "ON ca.id = j.a JOIN claims cb ON cb.id = j.b WHERE j.event != 'same_text')").fetchone()[0]
    finally:
        con.close()


def contradictions(args: list[str], env: dict) -> tuple[dict, list]:
    # exit 1: some input was not usable (named on stderr), the others were checked
    row, stdout = timed([sys.executable, "-m", "checker", "contradictions", *args, "--format", "json", "-q"], env, ok=(0, 1))
    return row, json.loads(stdout)["contradictions"]


def score(findings: list, labelled: set[str], stories, labels, renamed) -> dict:
    """The labelled set's precision / recall; flags touching filler articles counted apart."""
    from checker.realnews import article_id_of, score_findings

    inside = [f for f in findings if article_id_of(f["a"]["article"]) in labelled and article_id_of(f["b"]["article"]) in labelled]
    mixed = [f for f in findings if (article_id_of(f["a"]["article"]) in labelled) != (article_id_of(f["b"]["article"]) in labelled)]
    s = score_findings(inside, stories, labels, renamed)
    found = sorted(" | ".join(sorted((f["a"]["sentence"][:90], f["b"]["sentence"][:90]))) for f in inside)
    return {"flags_all": len(findings), "flags_within_labelled": s["flags"], "true": s["true"], "precision": s["precision"],
            "positives": s["positives"], "found": s["found"], "recall": s["recall"],
            "flags_labelled_vs_filler": len(mixed), "flags_filler_only": len(findings) - len(inside) - len(mixed),
            "labelled_flags": found, "false_flags": s["false_flags"][:20]}


def exponent(ns: list[int], ys: list[float]) -> float | None:
    pts = [(n, y) for n, y in zip(ns, ys) if y and y > 0]
    if len(pts) < 2:
        return None
    b, _ = np.polyfit(np.log([n for n, _ in pts]), np.log([y for _, y in pts]), 1)
    return round(float(b), 3)


def link_first(src: Path, names: list[str], dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        os.link(src / n, dst / n)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--one-shot", type=int, nargs="*", default=[], help="sizes also run one-shot (checker contradictions DIR)")
    ap.add_argument("--threads", type=int, help="CHECKER_THREADS for the children")
    ap.add_argument("--workdir", type=Path, help="keep corpora and stores here (default: a temporary folder)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    import platform

    from checker.config import resolve_precision
    from scale_corpus import build, labelled_stories

    env = dict(os.environ)
    if a.threads:
        env["CHECKER_THREADS"] = str(a.threads)
    work = a.workdir or Path(tempfile.mkdtemp(prefix="bench_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    res = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_at_start": os.getloadavg()[0]},
           "threads": a.threads or "checker default", "precision": resolve_precision(), "more": MORE, "runs": {}}

    def save():
        if a.json:
            a.json.write_text(json.dumps(res, indent=1) + "\n")

    top = max(a.sizes) + MORE
    print(f"building the scale corpus of {top} documents", file=sys.stderr, flush=True)
    manifest = build(a.eval_dir, top, work / "corpus")
    names = [f["file"] for f in manifest["files"]]
    res["corpus"] = {k: manifest[k] for k in ("seed", "real_available")}
    stories, labels, renamed = labelled_stories(a.eval_dir)
    labelled = {art.id for st in stories for art in st.articles}

    print("one-shot run on the labelled articles alone", file=sys.stderr, flush=True)
    lab_dir = link_first(work / "corpus", [f["file"] for f in manifest["files"] if f["kind"] == "labelled"], work / "labelled")
    row, found = contradictions([str(lab_dir)], env)
    res["labelled_alone_one_shot"] = dict(row, articles=len(list(lab_dir.iterdir())), **score(found, labelled, stories, labels, renamed))
    save()

    for n in sorted(a.sizes):
        run = res["runs"][str(n)] = {"n": n, "kinds": {k: sum(f["kind"] == k for f in manifest["files"][:n])
                                                       for k in ("labelled", "cnndm", "wice", "recombined")}}
        corpus = link_first(work / "corpus", names[:n], work / f"c{n}")
        more = link_first(work / "corpus", names[n:n + MORE], work / f"more{n}")
        db = work / f"s{n}.db"
        print(f"N={n}: checker add {n} into an empty store", file=sys.stderr, flush=True)
        run["add"] = add_step(db, corpus, env)
        save()
        print(f"N={n}: contradictions --store", file=sys.stderr, flush=True)
        row, found = contradictions(["--store", str(db)], env)
        run["read_store"] = row
        run["labelled"] = score(found, labelled, stories, labels, renamed)
        save()
        print(f"N={n}: add {MORE} more", file=sys.stderr, flush=True)
        run["add_more"] = add_step(db, more, env)
        save()
        if n in a.one_shot:
            print(f"N={n}: one-shot checker contradictions DIR", file=sys.stderr, flush=True)
            row, found = contradictions([str(corpus)], env)
            run["one_shot"] = dict(row, labelled=score(found, labelled, stories, labels, renamed))
            save()
        print(f"N={n}: {json.dumps({k: run['add'][k] for k in ('wall_s', 'peak_rss_mb', 'peak_tree_rss_mb', 'claims', 'judged_pairs', 'nli_pairs')})}",
              file=sys.stderr, flush=True)
    ns = sorted(a.sizes)
    rows = [res["runs"][str(n)]["add"] for n in ns]
    res["growth_exponent"] = {
        "wall": exponent(ns, [r["wall_s"] for r in rows]),
        "work_without_model_loading": exponent(ns, [r["timings"]["total"] - r["timings"].get("load_models", 0) for r in rows]),
        "judged_pairs": exponent(ns, [r["judged_pairs"] for r in rows]),
        "nli_pairs": exponent(ns, [r["nli_pairs"] for r in rows]),
        "distinct_nli_inputs": exponent(ns, [r["distinct_nli_inputs"] for r in rows]),
        "claims": exponent(ns, [r["claims"] for r in rows])}
    res["machine"]["load_at_end"] = os.getloadavg()[0]
    save()
    print(json.dumps(res["growth_exponent"]))
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
