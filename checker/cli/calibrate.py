from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from . import app


@app.command("calibrate")
def calibrate_cmd(data: Path = typer.Option(Path("../shared/data/nli"), "--data", help="The NLI data folder (see its README)."),
                  output: Path = typer.Option(None, "--output", "-o", help="Where to write (default: checker/calibration.json)."),
                  seed: int = typer.Option(0, help="Seed for sampling and the fit/held-out split."),
                  document: bool = typer.Option(False, "--document", help="Calibrate the document score of "
                                                "`checker verify` / checker.consistency on the SummEval dev half instead."),
                  stories: bool = typer.Option(False, "--stories", help="Choose the story-grouping weight and "
                                               "distance on the ClaimDiff dev stories instead."),
                  realnews: bool = typer.Option(False, "--realnews", help="Fit the real-news layer (signal "
                                                "precisions, contradiction threshold) on the real-news dev stories instead."),
                  eval_dir: Path = typer.Option(Path("../shared/data/eval"), "--eval-dir",
                                                help="The evaluation data folder (for --document, --stories, --realnews).")) -> None:
    """Fit the score combiner and pick thresholds on held-out dev data; save and report them."""
    from ..calibrate import calibrate, calibrate_document, calibrate_realnews, calibrate_stories
    from ..config import CALIBRATION_FILE

    folder = eval_dir if (document or stories or realnews) else data
    if not folder.is_dir():
        typer.echo(f"error: data folder {folder} not found", err=True)
        raise typer.Exit(2)
    say = lambda m: typer.echo(m, err=True)  # noqa: E731
    if stories:
        res = calibrate_stories(eval_dir, output or CALIBRATION_FILE, say=say)
    elif realnews:
        res = calibrate_realnews(eval_dir, output or CALIBRATION_FILE, say=say)
    elif document:
        res = calibrate_document(eval_dir, output or CALIBRATION_FILE, say=say)
    else:
        res = calibrate(data, output or CALIBRATION_FILE, seed, say=say)
        res = {"thresholds": res["thresholds"], "dev": res["dev"]}
    json.dump(res, sys.stdout, indent=1)
    sys.stdout.write("\n")
