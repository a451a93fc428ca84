"""What the benchmark scripts share: writing their results."""

from __future__ import annotations

import json
from pathlib import Path


def write_results(out: Path, results: dict) -> None:
    """Write ``results`` as indented JSON to ``out`` (``-``: nowhere), creating its folder."""
    if str(out) == "-":
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
