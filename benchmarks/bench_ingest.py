"""Ingest time against input size: plain text, Markdown and HTML of 1, 5 and 20 MB.

    python benchmarks/bench_ingest.py [--sizes 1 5 20] [--formats txt md html]

Ingest must be linear: the seconds per MB should stay flat as the size grows (before issue 10,
plain text took 2.5 / 23 / 176 s for 1 / 2 / 5 MB because join_blocks rebuilt its lists for
every kept line). The text is news-like prose with boilerplate lines, so every rule runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from checker.config import Config
from checker.ingest import read_file

PARA = ("The minister met the envoy in Beijing on Monday to discuss trade, security and the "
        "prices of grain, officials said in a statement released late in the evening.")
FURNITURE = ["Share this article", "Most Read", "Advertisement", "Back to top"]


def make(fmt: str, mb: float) -> str:
    target = int(mb * 1_000_000)
    out, n, i = [], 0, 0
    while n < target:
        if fmt == "html":
            s = f"<p>{PARA} (item {i})</p>\n" if i % 5 else f"<div class='nav'>{FURNITURE[i % 4]}</div>\n"
        elif fmt == "md":
            s = f"**The minister** met [the envoy](http://example.org/{i}) in Beijing on Monday, officials said (item {i}).\n\n" if i % 5 else f"# {FURNITURE[i % 4]}\n\n"
        else:
            s = f"{PARA} (item {i})\n\n" if i % 5 else f"{FURNITURE[i % 4]}\n"
        out.append(s)
        n += len(s)
        i += 1
    body = "".join(out)[:target]
    return f"<html><head><title>Bench</title></head><body><article>{body}</article></body></html>" if fmt == "html" else body


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 20])
    ap.add_argument("--formats", nargs="+", default=["txt", "md", "html"])
    args = ap.parse_args()
    cfg = Config(max_file_bytes=10**9)
    print(f"{'format':6} {'MB':>6} {'seconds':>8} {'s/MB':>6} {'kept chars':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            for mb in args.sizes:
                p = Path(tmp) / f"bench.{fmt}"
                p.write_text(make(fmt, mb), encoding="utf-8")
                t = time.perf_counter()
                docs, _ = read_file(p, config=cfg)
                dt = time.perf_counter() - t
                print(f"{fmt:6} {mb:6.1f} {dt:8.2f} {dt / mb:6.2f} {sum(len(d.text) for d in docs):11,}", flush=True)


if __name__ == "__main__":
    main()
