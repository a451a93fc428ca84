"""Issue 12, part 4: the optional Ray runner (checker/distributed, `checker add --ray`).

Without Ray: importing checker works and `--ray` is a clear error (E019) naming the extra.
With Ray (a local instance, ``ray.init(num_cpus=2)``): `checker add --ray auto` on the real
seed articles, first three of them and then all five (the last two join the stored story, so
both the window's and the per-article NLI calls go through Ray), gives a store equal to the
single-process path's, row by row (vectors and probabilities bit for bit), and the same reports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import checker
from checker import report
from checker.cli import app
from checker.store.add import add
from checker.store import SQLiteStore, load_result
from checker.store.sqlite import store_rows

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CHECKER_ROOT = str(Path(checker.__file__).resolve().parent.parent)  # the checker this test imports


def cfg(**kw):
    return checker.Config.default(progress=False, **kw)


# ------------------------------------------------------------------ without Ray

def test_checker_imports_without_ray():
    code = ("import sys; sys.modules['ray'] = None\n"  # `import ray` raises ImportError
            "import checker, checker.pipeline, checker.cli, checker.distributed\n"
            "from checker.distributed import ray_available, ray_runner\n"
            "from checker.errors import CheckerError\n"
            "assert not ray_available()\n"
            "try:\n    ray_runner('auto')\nexcept CheckerError as e:\n    print(e.code, e.message)\n"
            "assert 'ray' not in [m for m in sys.modules if sys.modules[m] is not None]\n")
    env = dict(os.environ, PYTHONPATH=CHECKER_ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("E019 ") and 'pip install "checker[ray]"' in out.stdout


def test_ray_option_without_ray_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    (tmp_path / "a.txt").write_text("The minister met the envoy in Beijing on Monday.\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["add", str(tmp_path / "a.txt"), "--store", str(tmp_path / "news.db"), "--ray", "auto", "-q"])
    assert r.exit_code == 2, r.output
    assert "error [E019] --ray auto:" in r.output and 'pip install "checker[ray]"' in r.output


# ------------------------------------------------------------------ with Ray

@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install \"checker[ray]\"): the Ray runner is not tested")
    pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install \"checker[ray]\")")
    started = not ray.is_initialized()
    if started:
        # the workers import the checker this test imports (the checkout under test)
        path = os.pathsep.join(p for p in (CHECKER_ROOT, os.environ.get("PYTHONPATH")) if p)
        ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    if started:
        ray.shutdown()


def test_ray_add_equals_single_process(ray_local, tmp_path, nlp, embedder, nli):
    from checker.distributed import ray_runner

    arts = sorted(SEEDS.glob("0*.txt"))
    assert len(arts) == 5
    src = tmp_path / "in"
    src.mkdir()
    for p in arts:
        shutil.copy(p, src)
    first = [src / p.name for p in arts[:3]]
    one, two = tmp_path / "single.db", tmp_path / "ray.db"

    st = SQLiteStore(one)
    counts = [add(first, st, cfg()), add([src], st, cfg())]
    st.close()
    assert [c["added"] for c in counts] == [3, 2] and counts[1]["new_stories"] == 0  # the last two join the stored story

    for paths in (first, [src]):
        r = CliRunner().invoke(app, ["add", *map(str, paths), "--store", str(two), "--ray", "auto", "-q"])
        assert r.exit_code == 0, r.output
    runner = ray_runner("auto")  # joins the module's Ray instance
    assert runner.info()["checker"] == checker.__file__  # the workers ran this checkout's code

    a, b = store_rows(one), store_rows(two)
    assert a.keys() == b.keys()
    for t in a:
        assert a[t] == b[t], f"table {t} differs"
    assert len(a["claims"]) > 100 and len(a["judgements"]) > 10
    ra, rb = load_result(SQLiteStore(one), cfg()), load_result(SQLiteStore(two), cfg())
    assert np.array_equal(ra.embeddings, rb.embeddings)
    for kind, fmt in (("report", "json"), ("contradictions", "markdown"), ("contradictions", "json")):
        assert report.render(ra, kind, fmt) == report.render(rb, kind, fmt)
    assert ra.contradictions(), "the seed articles should give contradictions"
