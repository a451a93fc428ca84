"""Runners: where the heavy per-article stages run (issue 12, part 4).

:func:`checker.store.add.add` runs every stage in its own process unless it is given a
:class:`Runner`. A runner supplies the three models the pipeline uses — a spaCy pipeline, an
embedder (``encode``, as sentence-transformers) and an NLI model (``predict`` and ``ref``, as
:class:`checker.nli.NLIModel`) — and runs the claims stage (:func:`checker.pipeline.extract_claims`).
Its embedder and NLI model may compute elsewhere; they call the same stage functions there.
Story grouping, candidate search (both need the store) and commits stay in the calling process.

The one runner here is :class:`~checker.distributed.raydata.RayRunner` (Ray Data
``map_batches`` over a local or remote Ray cluster), an optional extra:
``pip install "checker[ray]"``. Importing :mod:`checker` never imports Ray.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import E019_RAY_MISSING, CheckerError

INSTALL_HINT = 'pip install "checker[ray]"'


class Runner(Protocol):
    def load_models(self, config) -> tuple:
        """(nlp, embedder, nli) as :func:`checker.store.add.add` uses them."""

    def extract_claims(self, docs, nlp, nli, config, problems: list | None = None) -> tuple:
        """What :func:`checker.pipeline.extract_claims` returns for ``docs``: (sentences, claims, stats)."""

    def close(self) -> None: ...


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        return False
    return True


def ray_runner(address: str = "auto", **kw):
    """A :class:`~checker.distributed.raydata.RayRunner` on ``address``: ``"auto"`` starts a
    local Ray instance (or joins the one this process already started); otherwise the address of
    a running cluster (``HEAD:6379``, ``ray://HEAD:10001``). Raises :class:`CheckerError` E019
    when Ray is not installed, E020 when the cluster cannot be reached."""
    if not ray_available():
        raise CheckerError(E019_RAY_MISSING, "--ray", f"Ray (with Ray Data) is not installed: {INSTALL_HINT}")
    from .raydata import RayRunner

    return RayRunner(address, **kw)


__all__ = ["Runner", "ray_runner", "ray_available", "INSTALL_HINT"]
