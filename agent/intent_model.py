"""The learned part of intent recognition: a softmax (multinomial logistic regression) head over MiniLM
sentence embeddings, trained on the labelled replies in tests/agent/data/intents.jsonl.

Why a linear head: ~800 labelled replies are enough to place eleven classes in a 384-d space that already
puts paraphrases together, which is what makes it hold on phrasings nobody wrote a rule for; a linear model
trains in a second with numpy, deterministically, and its weights are 17 KB.

The head predicts *acts*, not final labels: the ten design labels plus `deny` (a plain "no" / "I don't
think so"). What a plain no means depends on what the agent asked (at the identity step "no" is
not_patient, after "can you make it?" it is reschedule), so `agent.intents` maps `deny` by context.

Weights ship in agent/data/intent_head.npz with the SHA-256 of the training file they were trained from;
`python -m agent.intents train` rebuilds them, and a test fails when they are stale."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
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


@dataclass(frozen=True)
class Head:
    weights: np.ndarray   # (DIM + contexts, acts)
    bias: np.ndarray      # (acts,)
    data_sha256: str

    def probabilities(self, text: str, context: str) -> dict[str, float]:
        z = features(text, context) @ self.weights + self.bias
        p = np.exp(z - z.max())
        p /= p.sum()
        return {a: float(x) for a, x in zip(ACTS, p, strict=True)}

    def save(self, path: Path = HEAD_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, weights=self.weights, bias=self.bias, data_sha256=np.array(self.data_sha256))


def train(examples: Sequence[Example], data_sha256: str = "") -> Head:
    """Full-batch gradient descent on softmax cross-entropy with L2, from zero: deterministic for a given
    training set, so rebuilding the shipped weights is reproducible."""
    from agent.intent_rules import normalize

    # Trained on the text as it arrives at call time: normalised, as `agent.intents.classify` passes it.
    x = np.stack([features(normalize(e.text), e.context) for e in examples]).astype(np.float64)
    y = np.zeros((len(examples), len(ACTS)))
    for i, e in enumerate(examples):
        y[i, ACTS.index(e.act)] = 1.0
    # Balance classes so that the rare, costly ones (opt_out, wrong_number) are not drowned by "confirm".
    counts = y.sum(0)
    class_w = np.where(counts > 0, len(examples) / (len(ACTS) * np.maximum(counts, 1)), 0.0)
    sample_w = (y * class_w).sum(1, keepdims=True)
    w = np.zeros((x.shape[1], len(ACTS)))
    b = np.zeros(len(ACTS))
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    for step in range(1, _STEPS + 1):   # Adam
        z = x @ w + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - y) * sample_w / len(examples)
        gw = x.T @ g + _L2 * w
        gb = g.sum(0)
        for param, grad, m, v in ((w, gw, m_w, v_w), (b, gb, m_b, v_b)):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= _LR * 0.01 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return Head(weights=w.astype(np.float32), bias=b.astype(np.float32), data_sha256=data_sha256)


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
        return Head(weights=f["weights"], bias=f["bias"], data_sha256=str(f["data_sha256"]))

