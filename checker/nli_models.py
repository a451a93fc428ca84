"""Which NLI model runs, how its labels are read, and which calibration goes with it
("bring your own NLI model", issue 11). No torch here: everything is decided from the
model folder's files, before any weights are loaded.

* :func:`resolve` turns ``--nli-model`` (a local folder or a Hugging Face hub id) into a
  local folder. A hub id is used from the local Hugging Face cache when it is there, and
  downloaded only when the user allows it (``--allow-download``, ``Config.allow_download``
  or ``CHECKER_ALLOW_DOWNLOAD=1``); otherwise it is refused with E016 before any network
  access.
* :func:`label_map` reads the label order from ``config.json``'s ``id2label``:
  entailment / neutral / contradiction under their usual names (any case, ``-``/space/``_``
  alike), or a two-way model (entailment vs not-entailment). Generic names (``LABEL_0``)
  are refused (E017) unless ``label2id`` names them unambiguously.
* Two-way models: P(not entailment) is split equally between neutral and contradiction
  (``P(neutral) = P(contradiction) = P(not entailment) / 2``). Such a model cannot tell a
  contradiction from a claim the premise does not support, so its P(contradiction) carries
  no more than 1 − P(entailment); contradictions then come mostly from the mismatch
  signals once the model is calibrated.
* Calibration is per model, keyed by :func:`fingerprint` (sha256 of the weight files): the
  shipped model uses ``checker/calibration.json``; any other model uses
  ``<model folder>/checker_calibration.json`` or ``<calibration dir>/<sha256>.json``
  (``$CHECKER_CALIBRATION_DIR``, default ``~/.cache/checker/calibrations``), whichever
  exists and was fitted for these weights. ``checker calibrate --nli-model X`` writes the
  first where the folder is writable (and not inside site-packages or the Hugging Face
  cache), else the second.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import (E016_NLI_MODEL, E017_NLI_LABELS, W109_UNCALIBRATED, W110_CALIBRATION_MISMATCH, CheckerError,
                     Problem)

CANONICAL = ("entailment", "neutral", "contradiction")
CALIBRATION_NAME = "checker_calibration.json"
ALLOW_ENV = "CHECKER_ALLOW_DOWNLOAD"
_SYNONYMS = {
    "entailment": "entailment", "entail": "entailment", "entails": "entailment", "entailed": "entailment",
    "neutral": "neutral",
    "contradiction": "contradiction", "contradict": "contradiction", "contradicts": "contradiction",
    "contradictory": "contradiction", "contradicted": "contradiction",
    "not_entailment": "not_entailment", "non_entailment": "not_entailment", "not_entailed": "not_entailment",
    "nonentailment": "not_entailment", "no_entailment": "not_entailment", "not_entail": "not_entailment",
}
_GENERIC = re.compile(r"^(label_?)?\d+$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")
_WEIGHTS = ("*.safetensors", "pytorch_model*.bin")


class NLIModelWarning(UserWarning):
    """The NLI model runs without a calibration fitted for it (W109/W110)."""


def _norm(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


@dataclass(frozen=True)
class LabelMap:
    """How the model's output indices map to entailment / neutral / contradiction.

    ``kind`` "3-way": ``index[k]`` is the output holding ``CANONICAL[k]``. ``kind`` "2-way":
    ``index`` is (entailment, not-entailment)."""

    kind: str
    index: tuple[int, ...]
    names: tuple[str, ...]  # the model's own label names, by output index

    def to_canonical(self, probs):
        """(n, num_labels) probabilities -> (n, 3) in :data:`CANONICAL` order."""
        import numpy as np

        if self.kind == "3-way":
            return probs[:, list(self.index)]
        e, ne = probs[:, self.index[0]], probs[:, self.index[1]]
        return np.stack([e, ne / 2, ne / 2], axis=1)

    def describe(self) -> dict:
        return {"kind": self.kind, "id2label": dict(enumerate(self.names)),
                **({"two_way": "P(neutral) = P(contradiction) = P(not entailment) / 2"} if self.kind == "2-way" else {})}


def label_map(config: dict, where: str = "") -> LabelMap:
    """The label order of an NLI model from its ``config.json`` contents (E017 if unusable)."""
    raw = config.get("id2label") or {}
    try:
        id2label = {int(k): str(v) for k, v in raw.items()}
    except (TypeError, ValueError, AttributeError):
        raise CheckerError(E017_NLI_LABELS, where, f"config.json id2label is not a mapping of output indices: {raw!r}")
    n = len(id2label)
    if sorted(id2label) != list(range(n)) or n not in (2, 3):
        raise CheckerError(E017_NLI_LABELS, where, f"an NLI model needs 3 labels (entailment, neutral, "
                           f"contradiction) or 2 (entailment, not_entailment); config.json id2label is {raw!r}")
    names = tuple(id2label[i] for i in range(n))
    canon = [_SYNONYMS.get(_norm(x)) for x in names]
    if all(_GENERIC.match(_norm(x)) for x in names):
        # LABEL_0-style names say nothing; label2id may still name them (only if it is a clean inverse)
        l2i = config.get("label2id") or {}
        try:
            inv = {int(v): str(k) for k, v in l2i.items()}
        except (TypeError, ValueError, AttributeError):
            inv = {}
        if len(inv) == n and sorted(inv) == list(range(n)) and not any(_GENERIC.match(_norm(x)) for x in inv.values()):
            return label_map({"id2label": inv}, where)
        raise CheckerError(E017_NLI_LABELS, where, f"the model's labels are unnamed ({', '.join(names)}): which one "
                           "is entailment, neutral, contradiction is unknown, and guessing would silently invert "
                           "the scores. Name them in the model folder's config.json, e.g. \"id2label\": "
                           "{\"0\": \"entailment\", \"1\": \"neutral\", \"2\": \"contradiction\"} (in the model's order)")
    want = set(CANONICAL) if n == 3 else {"entailment", "not_entailment"}
    if None in canon or set(canon) != want or len(set(canon)) != n:
        raise CheckerError(E017_NLI_LABELS, where, f"cannot read the labels {list(names)} as NLI labels: expected "
                           + ("entailment, neutral, contradiction" if n == 3 else "entailment and not_entailment")
                           + " (any order and case)")
    if n == 3:
        return LabelMap("3-way", tuple(canon.index(c) for c in CANONICAL), names)
    return LabelMap("2-way", (canon.index("entailment"), canon.index("not_entailment")), names)


@dataclass(frozen=True)
class NLIModelRef:
    """A resolved NLI model: its local folder, where it came from, its labels."""

    spec: str  # what the user named ("" for the default)
    path: Path
    shipped: bool
    labels: LabelMap
    hub_id: str | None = None

    @property
    def name(self) -> str:
        return self.hub_id or (self.spec if self.spec else self.path.name)

    @property
    def sha256(self) -> str:
        return fingerprint(self.path)


def allow_download_env() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _shipped_dir() -> Path | None:
    from .config import shipped_nli_model_dir

    try:
        return shipped_nli_model_dir().resolve()
    except FileNotFoundError:
        return None


def _looks_like_hub_id(spec: str) -> bool:
    return (bool(_HUB_ID.match(spec)) and not spec.startswith((".", "~")) and ".." not in spec
            and not spec.endswith((".json", ".safetensors", ".bin")))


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, read from the environment at call time."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = Path(os.environ["HF_HOME"]) if os.environ.get("HF_HOME") else Path.home() / ".cache" / "huggingface"
    return home / "hub"


def _cached_snapshot(repo_id: str) -> Path | None:
    """The locally cached snapshot of a hub model (never touches the network)."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    try:
        hit = try_to_load_from_cache(repo_id, "config.json", cache_dir=hub_cache_dir())
    except Exception:
        return None
    if isinstance(hit, str) and weight_files(Path(hit).parent):
        return Path(hit).parent
    return None


def _download(repo_id: str) -> Path:
    """Fetch a hub model's config, tokenizer and weights (safetensors if the repository has
    them) into the Hugging Face cache. Only called when downloading is allowed."""
    from huggingface_hub import constants, snapshot_download

    top = ["*.json", "*.txt", "*.model"]  # config, tokenizer files; never code (no trust_remote_code)
    prev = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = False  # the checker sets HF_HUB_OFFLINE=1 for everything else
    try:
        path = Path(snapshot_download(repo_id, cache_dir=hub_cache_dir(), allow_patterns=top + ["*.safetensors"],
                                      ignore_patterns=["*/*"]))
        if not weight_files(path):
            path = Path(snapshot_download(repo_id, cache_dir=hub_cache_dir(), allow_patterns=top + ["pytorch_model*.bin"],
                                          ignore_patterns=["*/*"]))
    except Exception as exc:
        raise CheckerError(E016_NLI_MODEL, repo_id, f"could not download it from the Hugging Face Hub: "
                           f"{type(exc).__name__}: {exc}") from None
    finally:
        constants.HF_HUB_OFFLINE = prev
    return path


def _read_config(folder: Path, spec: str) -> dict:
    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckerError(E016_NLI_MODEL, spec, f"cannot read {folder / 'config.json'}: {exc}") from None
    if not isinstance(cfg, dict):
        raise CheckerError(E016_NLI_MODEL, spec, "config.json is not a JSON object")
    return cfg


def resolve(spec: str | os.PathLike | None = None, allow_download: bool = False) -> NLIModelRef:
    """The NLI model named by ``spec``: a local folder (with ``config.json`` and weights), or
    a Hugging Face hub id (``org/name``), used from the local cache or downloaded when
    ``allow_download`` (or ``CHECKER_ALLOW_DOWNLOAD=1``). ``None``: ``$CHECKER_NLI_MODEL``,
    else the shipped model. Raises :class:`CheckerError` E016 (not found / not allowed /
    download failed) or E017 (labels)."""
    if spec is None or str(spec) == "":
        spec = os.environ.get("CHECKER_NLI_MODEL") or ""
    spec = str(spec)
    hub_id = None
    if not spec:
        from .config import shipped_nli_model_dir

        try:
            folder = shipped_nli_model_dir()
        except FileNotFoundError as exc:
            raise CheckerError(E016_NLI_MODEL, "(shipped model)", str(exc)) from None
    else:
        p = Path(spec).expanduser()
        if p.exists():
            if not p.is_dir():
                raise CheckerError(E016_NLI_MODEL, spec, "is a file: give the model's folder (the one holding "
                                   "config.json, the tokenizer files and the weights)")
            folder = p
        elif _looks_like_hub_id(spec):
            hub_id = spec
            folder = _cached_snapshot(spec)
            if folder is None:
                if not (allow_download or allow_download_env()):
                    raise CheckerError(E016_NLI_MODEL, spec, f"no such folder, and {spec!r} is not in the local "
                                       f"Hugging Face cache ({hub_cache_dir()}). The checker is offline by default: "
                                       f"to download this Hugging Face model once, pass --allow-download (Python: "
                                       f"Config(allow_download=True)) or set {ALLOW_ENV}=1; later runs use the "
                                       f"cached copy without network")
                folder = _download(spec)
        else:
            raise CheckerError(E016_NLI_MODEL, spec, "no such folder (nor a Hugging Face hub id of the form org/name)")
    if not (folder / "config.json").is_file():
        raise CheckerError(E016_NLI_MODEL, spec or str(folder), "not a Hugging Face model folder: no config.json")
    if not weight_files(folder):
        raise CheckerError(E016_NLI_MODEL, spec or str(folder), "no weights in the folder (model.safetensors or "
                           "pytorch_model.bin)")
    labels = label_map(_read_config(folder, spec or str(folder)), spec or str(folder))
    shipped_dir = _shipped_dir()
    return NLIModelRef(spec=spec, path=folder, shipped=shipped_dir is not None and folder.resolve() == shipped_dir,
                       labels=labels, hub_id=hub_id)


def weight_files(folder: Path) -> list[Path]:
    """The weight files of a model folder: safetensors if any, else PyTorch ``.bin`` files."""
    for pattern in _WEIGHTS:
        found = sorted(p for p in Path(folder).glob(pattern) if p.is_file())
        if found:
            return found
    return []


_FP_CACHE: dict[tuple, str] = {}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(folder: str | os.PathLike) -> str:
    """The model's content hash: sha256 of its weight file (of the sorted ``name sha256``
    lines when the weights are sharded). Cached per process by size and modification time."""
    files = weight_files(Path(folder))
    key = tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if key not in _FP_CACHE:
        if len(files) == 1:
            _FP_CACHE[key] = _sha256(files[0])
        else:
            _FP_CACHE[key] = hashlib.sha256("".join(f"{p.name} {_sha256(p)}\n" for p in files).encode()).hexdigest()
    return _FP_CACHE[key]


def calibration_dir() -> Path:
    """Where calibrations of user models are kept by content hash: ``$CHECKER_CALIBRATION_DIR``,
    else ``$XDG_CACHE_HOME/checker/calibrations`` (``~/.cache/checker/calibrations``)."""
    if os.environ.get("CHECKER_CALIBRATION_DIR"):
        return Path(os.environ["CHECKER_CALIBRATION_DIR"]).expanduser()
    base = Path(os.environ["XDG_CACHE_HOME"]) if os.environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "checker" / "calibrations"


def _protected(folder: Path) -> bool:
    """A folder the checker must not write into: inside an installed package or the HF cache."""
    parts = folder.resolve().parts
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    try:
        folder.resolve().relative_to(hub_cache_dir().resolve())
        return True
    except ValueError:
        return False


def default_calibration_path(ref: NLIModelRef) -> Path:
    """Where ``checker calibrate --nli-model`` writes: next to the model when that folder is
    writable and not protected, else ``<calibration dir>/<sha256>.json``."""
    if not _protected(ref.path) and os.access(ref.path, os.W_OK | os.X_OK):
        return ref.path / CALIBRATION_NAME
    return calibration_dir() / f"{ref.sha256}.json"


def calibration_candidates(ref: NLIModelRef) -> list[Path]:
    return [ref.path / CALIBRATION_NAME, calibration_dir() / f"{ref.sha256}.json"]


def _load_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def find_calibration(ref: NLIModelRef) -> tuple[dict, Path | None, list[str]]:
    """(calibration, its file, notes) for a resolved model. Shipped model: the shipped file.
    Otherwise the first candidate fitted for these weights; a candidate fitted for other
    weights is skipped with a note; the shipped file also serves a copy of the shipped weights."""
    from .config import CALIBRATION_FILE, load_calibration

    if ref.shipped:
        return load_calibration(), CALIBRATION_FILE if CALIBRATION_FILE.exists() else None, []
    sha, notes = ref.sha256, []
    for cand in calibration_candidates(ref):
        if not cand.exists():
            continue
        cal = _load_json(cand)
        got = ((cal or {}).get("model") or {}).get("sha256")
        if cal is not None and got == sha:
            return cal, cand, notes
        notes.append(f"[{W110_CALIBRATION_MISMATCH}] ignored {cand}: "
                     + ("not a calibration file" if cal is None else f"fitted for other weights (sha256 {str(got)[:12]}…, "
                        f"this model {sha[:12]}…); rerun checker calibrate --nli-model"))
    shipped = load_calibration()
    if ((shipped.get("model") or {}).get("sha256")) == sha:
        return shipped, CALIBRATION_FILE, notes
    return {}, None, notes


def calibration_for(spec: str | None, allow_download: bool = False) -> tuple[dict, Path | None]:
    """The calibration of the model ``spec`` names (``{}`` and None when it has none).
    Without ``spec`` and ``$CHECKER_NLI_MODEL``: the shipped calibration, without touching
    the model files."""
    from .config import CALIBRATION_FILE, load_calibration

    if not spec and not os.environ.get("CHECKER_NLI_MODEL"):
        return load_calibration(), CALIBRATION_FILE
    cal, path, _ = find_calibration(resolve(spec, allow_download))
    return cal, path


PARTS = {
    "claims": (("combiner", "support"), "claim-pair calibration", ""),
    "document": (("document",), "document calibration", " --document"),
}


def calibration_problems(config, ref: NLIModelRef, uses: tuple[str, ...] = ("claims",)) -> list[Problem]:
    """Warnings when the configuration's calibration is not one fitted for the model that
    runs: none at all (W109: raw NLI probabilities, thresholds 0.5), a part missing (W109),
    or fitted for other weights (W110)."""
    name = ref.name
    how = f"checker calibrate --nli-model {ref.spec}" if ref.spec else "checker calibrate"
    if config.calibration_model is None and not any(getattr(config, a) for u in uses for a in PARTS[u][0]):
        notes = find_calibration(ref)[2] if not ref.shipped else []
        extra = "".join(f"; {n}" for n in notes)
        return [Problem("warning", W109_UNCALIBRATED, name,
                        f"no calibration for this NLI model: scores are its raw probabilities and the thresholds "
                        f"0.5 (not calibrated probabilities); fit one with `{how}` (and `{how} --document` for "
                        f"checker verify's document score){extra}")]
    if config.calibration_model is not None and config.calibration_model != ref.sha256:
        return [Problem("warning", W110_CALIBRATION_MISMATCH, name,
                        f"the configuration's calibration was fitted for other NLI weights (sha256 "
                        f"{config.calibration_model[:12]}…, this model {ref.sha256[:12]}…): its scores are not "
                        f"calibrated for this model; build the configuration with Config.default(nli_model=...)")]
    out = []
    for u in uses:
        attrs, what, flag = PARTS[u]
        if not all(getattr(config, a) for a in attrs):
            out.append(Problem("warning", W109_UNCALIBRATED, name,
                               f"no {what} for this NLI model: those scores are raw probabilities (thresholds 0.5); "
                               f"fit it with `{how}{flag}`"))
    return out
