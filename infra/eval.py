"""`make eval`: recall@5 of credentialing's retrieval with the local model over the labelled set in
`eval/credentialing.json` (docs/credentialing.md, "Evaluation"). Printed, never asserted.

Each source is made into a PDF (tests/support/pdfs.py) and read back the way ingestion reads it (pypdf, the same
chunking); the chunks and questions are embedded by the local model; each question ranks the chunks of its payer
and state by cosine similarity (what the Firestore vector query does, with its pre-filters); a hit is a top-5
chunk from the labelled page.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bloom.credentialing.embeddings.local import LocalEmbedder
from bloom.credentialing.ingestion import read_pdf
from bloom.credentialing.models import PageChunk
from tests.support.pdfs import text_pdf

LABELLED = Path(__file__).resolve().parent.parent / "eval" / "credentialing.json"
K = 5
GOAL = 0.9


@dataclass(frozen=True)
class Chunk:
    source: str
    payer: str
    state: str
    piece: PageChunk


def chunks_of(source: dict[str, Any]) -> list[Chunk]:
    pages = read_pdf(text_pdf(source["pages"], source["title"]))
    assert pages is not None, source["id"]
    return [
        Chunk(source["id"], source["payer"], source["state"], piece)
        for number in range(len(pages))
        for piece in pages.chunks(number)
    ]


def main() -> None:
    labelled = json.loads(LABELLED.read_text())
    started = time.perf_counter()
    model = LocalEmbedder()
    loaded = time.perf_counter() - started
    chunks = [chunk for source in labelled["sources"] for chunk in chunks_of(source)]
    started = time.process_time()  # CPU time: wall time on a shared machine measures the neighbours
    vectors = model.embed([chunk.piece.text for chunk in chunks])
    per_chunk_ms = (time.process_time() - started) * 1000 / len(chunks)
    questions = labelled["questions"]
    asked = model.embed([q["question"] for q in questions], task="query")
    ranks: list[int | None] = []  # the rank of the first chunk from the labelled page, among the top K
    for question, query in zip(questions, asked, strict=True):
        candidates = [
            (sum(a * b for a, b in zip(query, vector, strict=True)), chunk)
            for chunk, vector in zip(chunks, vectors, strict=True)
            if (chunk.payer, chunk.state) == (question["payer"], question["state"])
        ]
        top = [chunk for _, chunk in sorted(candidates, key=lambda pair: -pair[0])[:K]]
        wanted = (question["source"], question["page"])
        rank = next((n for n, c in enumerate(top, start=1) if (c.source, c.piece.page) == wanted), None)
        ranks.append(rank)
        if rank is None:
            print(f"  miss: {question['question']!r} (wanted {question['source']} p.{question['page']})")
    recall = sum(rank is not None for rank in ranks) / len(questions)
    recall_1 = sum(rank == 1 for rank in ranks) / len(questions)
    mrr = sum(1 / rank for rank in ranks if rank is not None) / len(questions)
    pools = sorted({sum(c.payer == s["payer"] for c in chunks) for s in labelled["sources"]})
    print(
        f"credentialing retrieval: {len(questions)} questions over {len(labelled['sources'])} sources "
        f"({len(chunks)} chunks), model {model.name} loaded in {loaded:.1f} s, {per_chunk_ms:.0f} CPU ms per chunk"
    )
    print(f"each question ranks its payer and state's chunks only: {'-'.join(map(str, pools))} candidates")
    print(f"recall@1 = {recall_1:.2f}, MRR@{K} = {mrr:.2f}")
    print(f"recall@{K} = {recall:.2f} (goal {GOAL:.2f}: {'met' if recall >= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
