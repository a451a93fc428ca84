from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import app
from ._common import ALLOW_DOWNLOAD, NLI_MODEL, QUIET, failed_input, fail, make_config, say


@app.command("add")
def add_cmd(paths: List[Path] = typer.Argument(..., help="Article files or directories (read as by `checker report`)."),
            store: Path = typer.Option(..., "--store", "-s", help="The store: an SQLite file, created if missing."),
            window: int = typer.Option(256, "--window", min=1, help="New articles grouped into stories together (and "
                                       "held in memory) at a time."),
            ray: Optional[str] = typer.Option(None, "--ray", metavar="auto|ADDRESS", help="Run claims, embedding and "
                                              "NLI on Ray (pip install \"checker[ray]\"): auto = a local Ray instance, "
                                              "or a running cluster's address (HEAD:6379). See the README."),
            quiet: bool = QUIET, nli_model: Optional[str] = NLI_MODEL, allow_download: bool = ALLOW_DOWNLOAD) -> None:
    """Add articles to a store: each new or changed article is grouped into a story and judged
    against the stored articles of its story. Unchanged files are skipped; a changed file
    replaces its old version. Read the store with `checker contradictions --store` or `checker
    report --store`. With --ray, claims, embedding and NLI run on a Ray cluster; the results
    are those of a run without it."""
    from ..errors import E019_RAY_MISSING, E020_RAY_CONNECT, CheckerError, show_path
    from ..store.add import add
    from ..store import SchemaError, open_store

    config = make_config(nli_model, allow_download, progress=not quiet, add_window=window)
    try:
        st = open_store(store)
    except SchemaError as exc:
        fail(f"error: --store {show_path(store)}: {exc}")
    runner = None
    try:
        if ray is not None:
            from ..distributed import ray_runner

            runner = ray_runner(ray)
        res = add(paths, st, config, runner=runner)
    except SchemaError as exc:
        fail(f"error: --store {show_path(store)}: {exc}")
    except CheckerError as exc:
        if exc.code in (E019_RAY_MISSING, E020_RAY_CONNECT):
            fail(f"error [{exc.code}] --ray {show_path(ray)}: {exc.message}")
        fail(f"error [{exc.code}] --nli-model {show_path(exc.path)}: {exc.message}")
    finally:
        if runner is not None:
            runner.close()
        st.close()
    for p in res["problems"]:
        say(str(p))
    if any(failed_input(p) for p in res["problems"]):
        raise typer.Exit(1)
    if res["files"] == 0:
        fail("error: no input file found")
