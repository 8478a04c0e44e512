"""The learned part of intent recognition: one softmax (multinomial logistic regression) over two views of
a reply: its MiniLM embedding (last and third layer, `agent.embedding`), and the words and word pairs it
contains. Trained on the labelled replies in tests/agent/data/intents.jsonl and intents_families.jsonl.

Why both views: mean-pooled embeddings put paraphrases together, which is what holds up on phrasings nobody
wrote a rule for, but they blur the small words that flip a meaning ("don't cancel" sits next to "cancel");
word pairs ("don't cancel", "not changing") keep those. Family-grouped cross-validation on the training rows
(bench/intent_cv.py) chose the pair: on paraphrase families the rules were never written against (the
second batch), with the same rules, the embedding alone was right 86.6 % of the time, embedding + word pairs
90.1 %. A linear model trains in seconds with numpy, deterministically, and its weights are ~1 MB.

The head predicts *acts*, not final labels: the ten design labels plus `deny` (a plain "no" / "I don't
think so"). What a plain no means depends on what the agent asked (at the identity step "no" is
not_patient, after "can you make it?" it is reschedule), so `agent.intents` maps `deny` by context.

Weights ship in agent/data/intent_head.npz with the SHA-256 of the training files they were trained from;
`python -m agent.intents train` rebuilds them, and a test fails when they are stale."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from agent.embedding import embed

ACTS: tuple[str, ...] = ("confirm", "deny", "reschedule", "cancel", "callback_later", "not_patient", "wrong_number",
                         "opt_out", "question", "human", "unclear")
CONTEXTS: tuple[str, ...] = ("identity", "appointment", "yes_no", "slot_choice")
HEAD_FILE = Path(__file__).parent / "data" / "intent_head.npz"
DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "agent" / "data"
TRAIN_FILE = DATA_DIR / "intents.jsonl"
# Paraphrase families written from the intent definitions (scripts/intent_families.py generates the file).
FAMILIES_FILE = DATA_DIR / "intents_families.jsonl"
TRAIN_FILES: tuple[Path, ...] = (TRAIN_FILE, FAMILIES_FILE)

_L2 = 1e-4
_STEPS = 1500
_LR = 5.0   # x 0.01: Adam step size (5-fold CV on the tuning set picked these)
_NGRAM_MIN_COUNT = 2   # a word or pair seen in fewer training replies gets no weight (it would only memorise)
_NGRAM_SCALE = 2.0     # weight of the word view against the embedding (CV: 1.0 -> 2.0 helped unseen families)


@dataclass(frozen=True)
class Example:
    text: str
    act: str
    context: str


def features(text: str, context: str) -> np.ndarray:
    """Embedding of the reply (as `agent.intents` hands it over: normalised, lower case), plus a one-hot of
    what the agent asked (a small per-context bias: "the first one" is a choice only when times are on offer)."""
    ctx = np.zeros(len(CONTEXTS), dtype=np.float32)
    ctx[CONTEXTS.index(context)] = 1.0
    return np.concatenate([embed(text), ctx])


def ngrams(text: str) -> set[str]:
    """The word view of a reply (normalised, lower case, fillers dropped): its words, and its word pairs with
    the start and end marked ("<s> no", "don't cancel", "it </s>")."""
    from agent.intent_rules import _FILLERS

    words = (_FILLERS.sub("", text).strip(" ?") or text).split()
    marked = ["<s>", *words, "</s>"]
    return {*words, *(f"{a} {b}" for a, b in pairwise(marked))}


@dataclass(frozen=True)
class Head:
    weights: np.ndarray   # (DIM + contexts, acts)
    bias: np.ndarray      # (acts,)
    data_sha256: str
    vocab: tuple[str, ...] = ()            # words and word pairs with a weight row
    ngram_weights: np.ndarray | None = None   # (len(vocab), acts)

    @property
    def _index(self) -> dict[str, int]:
        return _vocab_index(self.vocab)

    def _word_scores(self, text: str) -> np.ndarray:
        if self.ngram_weights is None:
            return np.zeros(len(ACTS), dtype=np.float32)
        idx = self._index
        hit = [idx[g] for g in ngrams(text) if g in idx]
        if not hit:
            return np.zeros(len(ACTS), dtype=np.float32)
        return self.ngram_weights[hit].sum(0) * (_NGRAM_SCALE / np.sqrt(len(hit)))

    def probabilities(self, text: str, context: str) -> dict[str, float]:
        """Act probabilities for a reply already normalised (`agent.intent_rules.normalize`)."""
        z = features(text, context) @ self.weights + self.bias + self._word_scores(text)
        p = np.exp(z - z.max())
        p /= p.sum()
        return {a: float(x) for a, x in zip(ACTS, p, strict=True)}

    def save(self, path: Path = HEAD_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        ngram_weights = self.ngram_weights if self.ngram_weights is not None else np.zeros((0, len(ACTS)))
        np.savez(path, weights=self.weights, bias=self.bias, data_sha256=np.array(self.data_sha256),
                 vocab=np.array(self.vocab, dtype=str), ngram_weights=ngram_weights.astype(np.float32))


@lru_cache(maxsize=4)
def _vocab_index(vocab: tuple[str, ...]) -> dict[str, int]:
    return {g: i for i, g in enumerate(vocab)}


def train(examples: Sequence[Example], data_sha256: str = "") -> Head:
    """Full-batch Adam on class-balanced softmax cross-entropy with L2, from zero, over both views (the
    embedding dense, the word view sparse): deterministic for a given training set, so rebuilding the
    shipped weights is reproducible."""
    from collections import Counter

    from agent.intent_rules import normalize

    # Trained on the text as it arrives at call time: normalised, as `agent.intents.classify` passes it.
    texts = [normalize(e.text) for e in examples]
    x = np.stack([features(t, e.context) for t, e in zip(texts, examples, strict=True)]).astype(np.float64)
    y = np.zeros((len(examples), len(ACTS)))
    for i, e in enumerate(examples):
        y[i, ACTS.index(e.act)] = 1.0
    # Balance classes so that the rare, costly ones (opt_out, wrong_number) are not drowned by "confirm".
    counts = y.sum(0)
    class_w = np.where(counts > 0, len(examples) / (len(ACTS) * np.maximum(counts, 1)), 0.0)
    sample_w = (y * class_w).sum(1, keepdims=True)
    # The word view as (row, vocab index, value) triples: a reply has ~10 of a few thousand columns.
    grams = [ngrams(t) for t in texts]
    seen = Counter(g for gs in grams for g in gs)
    vocab = tuple(sorted(g for g, n in seen.items() if n >= _NGRAM_MIN_COUNT))
    index = _vocab_index(vocab)
    rows_l: list[int] = []
    cols_l: list[int] = []
    vals_l: list[float] = []
    for i, gs in enumerate(grams):
        hit = [index[g] for g in gs if g in index]
        rows_l += [i] * len(hit)
        cols_l += hit
        vals_l += [_NGRAM_SCALE / float(np.sqrt(max(len(hit), 1)))] * len(hit)
    rows, cols, vals = np.array(rows_l, dtype=int), np.array(cols_l, dtype=int), np.array(vals_l)[:, None]
    w = np.zeros((x.shape[1], len(ACTS)))
    b = np.zeros(len(ACTS))
    wn = np.zeros((len(vocab), len(ACTS)))
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in (w, b, wn)]
    for step in range(1, _STEPS + 1):   # Adam
        z = x @ w + b
        np.add.at(z, rows, wn[cols] * vals)
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - y) * sample_w / len(examples)
        gwn = _L2 * wn
        np.add.at(gwn, cols, g[rows] * vals)
        grads = (x.T @ g + _L2 * w, g.sum(0), gwn)
        for param, grad, (m, v) in zip((w, b, wn), grads, moments, strict=True):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= _LR * 0.01 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return Head(weights=w.astype(np.float32), bias=b.astype(np.float32), data_sha256=data_sha256, vocab=vocab,
                ngram_weights=wn.astype(np.float32))


def file_sha256(*paths: Path) -> str:
    """SHA-256 over the training files' bytes, in order (default: all of TRAIN_FILES)."""
    h = hashlib.sha256()
    for path in paths or TRAIN_FILES:
        h.update(path.read_bytes())
    return h.hexdigest()


def training_rows() -> list[dict[str, str]]:
    """Every labelled row the shipped head is trained on (the hand-labelled set, then the families)."""
    return [row for path in TRAIN_FILES for row in read_rows(path)]


def read_rows(path: Path) -> list[dict[str, str]]:
    """Labelled rows from a jsonl file; a bad line raises naming the file and line."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row["text"], row["intent"]
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{n}: not a labelled row ({exc})") from exc
        rows.append(row)
    return rows


def examples_from(rows: Iterable[dict[str, str]], to_act: object) -> list[Example]:
    """Rows -> training examples; `to_act(text, label, context)` turns a context's label into an act."""
    out = []
    for r in rows:
        ctx = r.get("context", "appointment")
        out.append(Example(r["text"], to_act(r["text"], r["intent"], ctx), ctx))  # type: ignore[operator]
    return out


@lru_cache(maxsize=1)
def shipped_head() -> Head:
    """The weights shipped with the agent (no training at call time)."""
    with np.load(HEAD_FILE) as f:
        return Head(weights=f["weights"], bias=f["bias"], data_sha256=str(f["data_sha256"]),
                    vocab=tuple(str(g) for g in f["vocab"]), ngram_weights=f["ngram_weights"])

