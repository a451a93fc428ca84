"""A tiny randomly initialised NLI model, made on the fly for the "bring your own NLI model"
tests (no download, a few MB, loads in well under a second)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "models" / "nli-minilm-l6"


def make_tiny_nli(folder: Path, id2label: dict[int, str], favour: str | None = None, seed: int = 0,
                  config_extra: dict | None = None) -> Path:
    """Save a 2-layer, hidden-32 BERT sequence classifier with the shipped model's WordPiece
    tokenizer into ``folder`` (safetensors). ``favour``: the label name whose output gets a
    large bias (and all other head weights zero), so the model says that label for every
    pair, with probability about 0.99 — which output that is depends only on ``id2label``."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = AutoTokenizer.from_pretrained(SHIPPED, local_files_only=True)
    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512, num_labels=len(id2label),
                     id2label={int(k): v for k, v in id2label.items()},
                     label2id={v: int(k) for k, v in id2label.items()}, **(config_extra or {}))
    model = BertForSequenceClassification(cfg).eval()
    if favour is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.fill_(-3.0)
            model.classifier.bias[[k for k, v in id2label.items() if v == favour][0]] = 3.0
    model.save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    return folder
