"""Ingest time against input size: plain text, Markdown and HTML of 1, 5 and 20 MB.

    python benchmarks/bench_ingest.py [--sizes 1 5 20] [--formats txt md html html-page]
                                      [--repeats 3] [--out benchmarks/results/ingest.json]

Ingest must be linear: the seconds per MB should stay flat as the size grows. Each size is
timed ``--repeats`` times and the best run is kept. Times are CPU seconds of this process
(``time.process_time``; ingest is single-threaded): on a shared machine the wall clock also
counts the other jobs (the best wall time is printed too). The best run is the one least
disturbed by them (caches, memory bandwidth). For each format the script prints s/MB per size, the ratio
of each size's s/MB to the smallest size's (measured in the same run), and the growth exponent
``k`` of a least-squares fit ``time ~ size**k`` on a log-log scale: 1.0 is linear, 2.0 quadratic.

History: before issue 10, plain text took 2.5 / 23 / 176 s for 1 / 2 / 5 MB (join_blocks
rebuilt its lists for every kept line). Until issue 10b, HTML grew as size**1.2 on 1-20 MB
(1.29 / 1.23 / 1.85 s/MB) because trafilatura's ``xpath("//p//text()")`` is quadratic in the
number of <p> in libxml2 (8.5 s of a 20 MB page); see checker.ingest.html._LINEAR_XPATH.

Formats (news-like prose with boilerplate, so every rule runs):
  txt        paragraphs and furniture lines ("Share this article", ...)
  md         bold, links and headings
  html       flat page: <p> paragraphs and navigation <div>s in one <article>
  html-page  a realistic page: nested sections of paragraphs with links, entities, lists and
             tables, navigation menus and a footer around the article
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from checker.config import Config
from checker.ingest import read_file

from _results import write_results  # benchmarks/_results.py (the script's folder is on sys.path)

PARA = ("The minister met the envoy in Beijing on Monday to discuss trade, security and the "
        "prices of grain, officials said in a statement released late in the evening.")
FURNITURE = ["Share this article", "Most Read", "Advertisement", "Back to top"]
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "ingest.json"


def _page_section(i: int) -> str:
    """One section of the realistic HTML page (about 1.3 KB)."""
    return (f"<section class='story-part' id='s{i}'><h2>Talks continue, part {i}</h2>"
            f"<p>{PARA} (item {i})</p>"
            f"<p>The <a href='/world/{i}'>trade office</a> said prices rose by 3&nbsp;% &amp; "
            f"that &quot;more talks&quot; were planned for the week of {i % 28 + 1} May.</p>"
            f"<div class='inline-related'><ul><li><a href='/r/{i}a'>Related story</a></li>"
            f"<li><a href='/r/{i}b'>Another story</a></li></ul></div>"
            f"<blockquote><p>We expect an agreement soon, the envoy told reporters on {i % 7 + 1} June.</p>"
            f"</blockquote><table><tr><td>Grain</td><td>{i % 97} tonnes</td></tr></table>"
            f"<figure><img src='/img/{i}.jpg' alt=''><figcaption>The envoy (Reuters)</figcaption></figure>"
            f"</section>\n")


def make(fmt: str, mb: float) -> str:
    target = int(mb * 1_000_000)
    out, n, i = [], 0, 0
    while n < target:
        if fmt == "html-page":
            s = _page_section(i)
        elif fmt == "html":
            s = f"<p>{PARA} (item {i})</p>\n" if i % 5 else f"<div class='nav'>{FURNITURE[i % 4]}</div>\n"
        elif fmt == "md":
            s = f"**The minister** met [the envoy](http://example.org/{i}) in Beijing on Monday, officials said (item {i}).\n\n" if i % 5 else f"# {FURNITURE[i % 4]}\n\n"
        else:
            s = f"{PARA} (item {i})\n\n" if i % 5 else f"{FURNITURE[i % 4]}\n"
        out.append(s)
        n += len(s)
        i += 1
    if fmt == "html-page":
        nav = "".join(f"<li><a href='/section/{k}'>Section {k}</a></li>" for k in range(40))
        return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Bench page</title>"
                f"<script>window.dataLayer = [];</script><style>p {{ margin: 0 }}</style></head><body>"
                f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>Bench page</h1>"
                f"{''.join(out)}</article></main><footer><p>All rights reserved.</p><ul>{nav}</ul></footer>"
                f"</body></html>")
    body = "".join(out)[:target]
    return f"<html><head><title>Bench</title></head><body><article>{body}</article></body></html>" if fmt == "html" else body


def growth_exponent(sizes: list[float], seconds: list[float]) -> float | None:
    """Slope of log(seconds) on log(size) (least squares): 1 linear, 2 quadratic."""
    if len(sizes) < 2:
        return None
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 20])
    ap.add_argument("--formats", nargs="+", default=["txt", "md", "html", "html-page"])
    ap.add_argument("--repeats", type=int, default=3, help="runs per size; the best is kept")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON ('-' for none)")
    args = ap.parse_args()
    cfg = Config(max_file_bytes=10**9)
    results = {"benchmark": "ingest time against input size (checker.ingest.read_file)",
               "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "python": platform.python_version(), "machine": platform.machine(),
               "repeats": args.repeats, "formats": {}}
    print(f"{'format':9} {'MB':>6} {'best s':>7} {'CPU s of each run':>20} {'wall s':>7} {'s/MB':>6} {'x 1st':>6} "
          f"{'kept chars':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            rows = []
            for mb in args.sizes:
                ext = "html" if fmt.startswith("html") else fmt
                p = Path(tmp) / f"bench.{ext}"
                if not rows:  # warm up: imports, compiled patterns, first-call caches
                    p.write_text(make(fmt, 0.05), encoding="utf-8")
                    read_file(p, config=cfg)
                p.write_text(make(fmt, mb), encoding="utf-8")
                runs, walls = [], []
                for _ in range(args.repeats):
                    gc.collect()
                    w, t = time.perf_counter(), time.process_time()
                    docs, _ = read_file(p, config=cfg)
                    runs.append(time.process_time() - t)
                    walls.append(time.perf_counter() - w)
                    kept = sum(len(d.text) for d in docs)
                    del docs
                best = min(runs)
                rows.append({"mb": mb, "bytes": p.stat().st_size, "best_cpu_s": round(best, 3),
                             "cpu_runs_s": [round(r, 3) for r in runs], "wall_runs_s": [round(r, 3) for r in walls],
                             "s_per_mb": round(best / mb, 3), "kept_chars": kept})
                ratio = rows[-1]["s_per_mb"] / rows[0]["s_per_mb"]
                rows[-1]["s_per_mb_ratio_to_smallest"] = round(ratio, 2)
                print(f"{fmt:9} {mb:6.1f} {best:7.2f} {' '.join(f'{r:.2f}' for r in runs):>20} "
                      f"{min(walls):7.2f} {best / mb:6.2f} {ratio:6.2f} {kept:11,}", flush=True)
            k = growth_exponent([r["mb"] for r in rows], [r["best_cpu_s"] for r in rows])
            results["formats"][fmt] = {"rows": rows, "growth_exponent": None if k is None else round(k, 3)}
            if k is not None:
                print(f"{fmt:9} growth exponent (CPU time ~ size^k): k = {k:.2f}", flush=True)
    write_results(args.out, results)


if __name__ == "__main__":
    main()
