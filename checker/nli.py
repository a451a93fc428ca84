"""The project's NLI cross-encoder (trained by models/train_nli.py), loaded offline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import nli_model_dir

LABELS = ("entailment", "neutral", "contradiction")


class NLIModel:
    """3-way NLI: ``predict([(premise, hypothesis), ...])`` -> probabilities in :data:`LABELS` order."""

    def __init__(self, path: str | Path | None = None, max_length: int = 256, threads: int | None = None):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        from .config import quiet_transformers
        quiet_transformers()
        if threads:
            torch.set_num_threads(threads)
        self.path = Path(path or nli_model_dir())
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        # weights ship as fp16; CPU matmuls are fastest (and deterministic) in fp32
        self.model = AutoModelForSequenceClassification.from_pretrained(
            self.path, local_files_only=True, dtype=torch.float32).eval()
        id2label = {int(k): v for k, v in self.model.config.id2label.items()}
        self.order = [next(i for i, v in id2label.items() if v == lab) for lab in LABELS]
        self.max_length = max_length

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = 32, progress=None) -> np.ndarray:
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not pairs:
            return out
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        with self.torch.inference_mode():
            for s in range(0, len(order), batch_size):
                idx = order[s : s + batch_size]
                enc = self.tokenizer([pairs[i][0] for i in idx], [pairs[i][1] for i in idx],
                                     truncation=True, max_length=self.max_length, padding=True,
                                     return_tensors="pt")
                probs = self.torch.softmax(self.model(**enc).logits.float(), dim=-1).numpy()
                out[idx] = probs[:, self.order]
                if progress:
                    progress(len(idx))
        return out


@lru_cache(maxsize=2)
def load_nli(path: str | None = None, max_length: int = 256) -> NLIModel:
    return NLIModel(path, max_length=max_length)
