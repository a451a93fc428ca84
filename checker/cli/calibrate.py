from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Optional

import typer

from . import app
from ._common import ALLOW_DOWNLOAD, NLI_MODEL, check_output, fail, say


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
                                                          "else shared/data/eval beside the source tree."),
                  nli_model: Optional[str] = NLI_MODEL, allow_download: bool = ALLOW_DOWNLOAD) -> None:
    """Fit the score combiner and pick thresholds on held-out dev data; save and report them.

    With --nli-model (another NLI model than the shipped one) the calibration is that model's
    own: written next to it (<folder>/checker_calibration.json) when the folder is writable and
    not inside site-packages or the Hugging Face cache, else to $CHECKER_CALIBRATION_DIR/<sha256>.json
    (default ~/.cache/checker/calibrations), where every command finds it again."""
    from ..calibrate import calibrate, calibrate_document, calibrate_realnews, calibrate_stories
    from ..config import CALIBRATION_FILE
    from ..errors import CheckerError, show_path
    from ..nli_models import _protected, calibration_candidates, default_calibration_path, resolve

    use_eval = document or stories or realnews
    given = eval_dir if use_eval else data
    kind, env, flag = ("eval", "CHECKER_EVAL_DATA", "--eval-dir") if use_eval else ("nli", "CHECKER_NLI_DATA", "--data")
    try:
        ref = resolve(nli_model, allow_download)
    except CheckerError as exc:
        fail(f"error [{exc.code}] --nli-model {show_path(exc.path)}: {exc.message}")
    own = not ref.shipped  # a user model: its own calibration file, never checker/calibration.json
    if own and stories:
        fail("error: the story grouping does not use the NLI model (it is shared by all models); "
             "run `checker calibrate --stories` without --nli-model")
    folder = given if given is not None else _find_data(kind, env)
    if folder is None:
        fail(f"error: no {kind} data folder found; name it with {flag} (or set ${env})")
    if not folder.is_dir():
        fail(f"error: data folder {folder} not found")
    if own:
        if output is None:
            output = default_calibration_path(ref)
            output.parent.mkdir(parents=True, exist_ok=True)
        elif _protected(Path(output).parent):
            fail(f"error: will not write a calibration inside an installed package or the Hugging Face cache: "
                 f"{show_path(output)}")
        if Path(output) not in calibration_candidates(ref):
            say(f"note: the commands look for this model's calibration in {calibration_candidates(ref)[0]} or "
                f"{calibration_candidates(ref)[1]}; move {show_path(output)} there to use it")
    elif output is None:
        if _source_tree() is None:
            fail("error: this is an installed package: name the file to write with --output/-o "
                 "(the package's own calibration is never overwritten)")
        output = CALIBRATION_FILE
    check_output(output)
    if not own and not Path(output).exists() and CALIBRATION_FILE.exists():
        # the two calibrations share one file and each run keeps the other's part: start from the current one
        shutil.copyfile(CALIBRATION_FILE, output)
    spec = ref.spec or None
    try:
        if stories:
            res = calibrate_stories(folder, Path(output), say=say)
        elif realnews:
            res = calibrate_realnews(folder, Path(output), say=say, nli_model=spec, allow_download=allow_download)
        elif document:
            res = calibrate_document(folder, Path(output), say=say, nli_model=spec, allow_download=allow_download)
        else:
            res = calibrate(folder, Path(output), seed, say=say, nli_model=spec, allow_download=allow_download)
            res = {"thresholds": res["thresholds"], "dev": res["dev"]}
    except CheckerError as exc:
        fail(f"error [{exc.code}] --nli-model {show_path(exc.path)}: {exc.message}")
    json.dump(res, sys.stdout, indent=1)
    sys.stdout.write("\n")
