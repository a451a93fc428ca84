from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from . import app


@app.command("calibrate")
def calibrate_cmd(data: Path = typer.Option(Path("../shared/data/nli"), "--data", help="The NLI data folder (see its README)."),
                  output: Path = typer.Option(None, "--output", "-o", help="Where to write (default: checker/calibration.json)."),
                  seed: int = typer.Option(0, help="Seed for sampling and the fit/held-out split.")) -> None:
    """Fit the score combiner and pick thresholds on held-out dev data; save and report them."""
    from ..calibrate import calibrate
    from ..config import CALIBRATION_FILE

    if not data.is_dir():
        typer.echo(f"error: data folder {data} not found", err=True)
        raise typer.Exit(2)
    res = calibrate(data, output or CALIBRATION_FILE, seed, say=lambda m: typer.echo(m, err=True))
    json.dump({"thresholds": res["thresholds"], "dev": res["dev"]}, sys.stdout, indent=1)
    sys.stdout.write("\n")
