"""The local embedder is the real all-MiniLM-L6-v2: its numpy forward pass gives sentence-transformers' vectors.

The reference is the start of sentence-transformers' published embedding of "This is an example sentence" with
this model (torch, float32); ours must agree to 1e-5 in each value, be unit length, and rank meaning sensibly."""

from __future__ import annotations

import math

from bloom.credentialing.embeddings import embedder
from bloom.credentialing.embeddings.local import LocalEmbedder
from bloom.credentialing.models import EMBEDDING_DIMENSION

REFERENCE_START = [0.0676569119, 0.0634959862, 0.0487131625, 0.0793049634, 0.0374480709]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_vectors_are_sentence_transformers_ones() -> None:
    model = embedder()
    assert isinstance(model, LocalEmbedder) and model is embedder()  # loaded once per worker
    [vector] = model.embed(["This is an example sentence"])
    assert len(vector) == EMBEDDING_DIMENSION
    assert all(abs(ours - theirs) < 1e-5 for ours, theirs in zip(vector, REFERENCE_START, strict=False))
    assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-5)


def test_batches_and_padding_do_not_change_a_vector() -> None:
    model = embedder()
    alone = model.embed(["Submit proof of malpractice insurance."])[0]
    texts = ["x " * 300, "Submit proof of malpractice insurance.", *(f"filler {n}" for n in range(20))]
    batched = model.embed(texts)[1]  # padded to a truncated 256-token neighbour, in a batch of 16 then 6
    assert cosine(alone, batched) > 0.9999


def test_nearer_meaning_scores_higher() -> None:
    question, licence, insurance = embedder().embed(
        [
            "Which state license do I need?",
            "Every clinician must hold a current, unrestricted license to practise in the state.",
            "Professional liability coverage of one million dollars per claim is required.",
        ],
        task="query",
    )
    assert cosine(question, licence) > cosine(question, insurance)
