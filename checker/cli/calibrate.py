from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Optional

import typer

from . import app
from ._common import check_output, fail, say


def _source_tree() -> Path | None:
    """The checkout this package runs from (``pip install -e .`` or PYTHONPATH), or None when
    it is an installed copy (site-packages), whose calibration must never be overwritten."""
    from ..config import PACKAGE_DIR

    root = PACKAGE_DIR.parent
    if "site-packages" in PACKAGE_DIR.parts or "dist-packages" in PACKAGE_DIR.parts:
        return None
    return root if (root / "pyproject.toml").exists() else None


def _find_data(kind: str, env: str) -> Path | None:
    """The data folder: $CHECKER_NLI_DATA / $CHECKER_EVAL_DATA, else ``shared/data/<kind>``
    next to the source tree, else ``../shared/data/<kind>`` from the current folder."""
    cands = [Path(os.environ[env])] if os.environ.get(env) else []
    root = _source_tree()
    if root is not None:
        cands.append(root.parent / "shared" / "data" / kind)
    cands.append(Path("..") / "shared" / "data" / kind)
    return next((c for c in cands if c.is_dir()), None)


@app.command("calibrate")
def calibrate_cmd(data: Optional[Path] = typer.Option(None, "--data", help="The NLI data folder (see its README). "
                                                      "Default: $CHECKER_NLI_DATA, else shared/data/nli beside the source tree."),
                  output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write. Required for an "
                                                        "installed package; default in a source checkout: checker/calibration.json."),
                  seed: int = typer.Option(0, help="Seed for sampling and the fit/held-out split."),
                  document: bool = typer.Option(False, "--document", help="Calibrate the document score of "
                                                "`checker verify` / checker.consistency on the SummEval dev half instead."),
                  stories: bool = typer.Option(False, "--stories", help="Choose the story-grouping weight and "
                                               "distance on the ClaimDiff dev stories instead."),
                  realnews: bool = typer.Option(False, "--realnews", help="Fit the real-news layer (signal "
                                                "precisions, contradiction threshold) on the real-news dev stories instead."),
                  eval_dir: Optional[Path] = typer.Option(None, "--eval-dir", help="The evaluation data folder (for "
                                                          "--document, --stories, --realnews). Default: $CHECKER_EVAL_DATA, "
                                                          "else shared/data/eval beside the source tree.")) -> None:
    """Fit the score combiner and pick thresholds on held-out dev data; save and report them."""
    from ..calibrate import calibrate, calibrate_document, calibrate_realnews, calibrate_stories
    from ..config import CALIBRATION_FILE

    use_eval = document or stories or realnews
    given = eval_dir if use_eval else data
    kind, env, flag = ("eval", "CHECKER_EVAL_DATA", "--eval-dir") if use_eval else ("nli", "CHECKER_NLI_DATA", "--data")
    folder = given if given is not None else _find_data(kind, env)
    if folder is None:
        fail(f"error: no {kind} data folder found; name it with {flag} (or set ${env})")
    if not folder.is_dir():
        fail(f"error: data folder {folder} not found")
    if output is None:
        if _source_tree() is None:
            fail("error: this is an installed package: name the file to write with --output/-o "
                 "(the package's own calibration is never overwritten)")
        output = CALIBRATION_FILE
    check_output(output)
    if not Path(output).exists() and CALIBRATION_FILE.exists():
        # the two calibrations share one file and each run keeps the other's part: start from the current one
        shutil.copyfile(CALIBRATION_FILE, output)
    if stories:
        res = calibrate_stories(folder, Path(output), say=say)
    elif realnews:
        res = calibrate_realnews(folder, Path(output), say=say)
    elif document:
        res = calibrate_document(folder, Path(output), say=say)
    else:
        res = calibrate(folder, Path(output), seed, say=say)
        res = {"thresholds": res["thresholds"], "dev": res["dev"]}
    json.dump(res, sys.stdout, indent=1)
    sys.stdout.write("\n")
