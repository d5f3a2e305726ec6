"""The credentialing part of `make bench`, with the local model (all-MiniLM-L6-v2 on numpy):
- ingestion without Firestore: pages per second through pypdf, chunking and embedding, and the embedding's ms
  per chunk (CPU time: wall time on a shared machine measures the neighbours; wall time is shown too);
- `requirements_for` on a local stack's Firestore emulator, seeded with the ingested chunks: round trips (goal: one
  read of the query vector and one vector query) and p50 latency (the deterministic extractor; no OpenAI call).
Nothing is asserted.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from bloom.credentialing.embeddings.local import LocalEmbedder
from bloom.credentialing.ingestion import read_pdf
from bloom.credentialing.models import ChunkRecord, QueryVectorRecord, chunk_id, query_vector_id, requirements_query
from infra.bench_report import print_table
from infra.stack_runner import start_stack, stop_stack
from tests.support.pdfs import many_pages_pdf

PAGES = 40
QUERIES = 20
PAYER, STATE, SOURCE = "bench", "US-NY", "bench-source"


def _ingest_offline(model: LocalEmbedder) -> tuple[list[ChunkRecord], list[str]]:
    data = many_pages_pdf(PAGES)
    wall, cpu = time.perf_counter(), time.process_time()
    pages = read_pdf(data)
    assert pages is not None
    pieces = [piece for number in range(len(pages)) for piece in pages.chunks(number)]
    text_wall = time.perf_counter() - wall
    embed_wall, embed_cpu = time.perf_counter(), time.process_time()
    vectors = model.embed([piece.text for piece in pieces])
    embed_wall, embed_cpu = time.perf_counter() - embed_wall, time.process_time() - embed_cpu
    total_wall, total_cpu = time.perf_counter() - wall, time.process_time() - cpu
    chunks = [
        ChunkRecord(source_id=SOURCE, payer=PAYER, state=STATE, page=p.page, index=i, text=p.text, embedding=v)
        for i, (p, v) in enumerate(zip(pieces, vectors, strict=True))
    ]
    rows = [
        f"{PAGES / total_wall:.1f} pages/s wall ({PAGES / total_cpu:.1f} per CPU second)",
        f"{text_wall * 1000 / PAGES:.1f} ms per page for text and chunks (wall)",
        f"{embed_cpu * 1000 / len(chunks):.0f} CPU ms per chunk embedded ({embed_wall * 1000 / len(chunks):.0f} wall)",
    ]
    return chunks, rows


def _requirements_round_trips(model: LocalEmbedder, chunks: list[ChunkRecord]) -> list[list[str]]:
    from bloom.credentialing import requirements_for
    from bloom.credentialing.repository import ChunksRepository, QueryVectorsRepository
    from bloom.platform.store.client import start_round_trip_count, stop_round_trip_count

    for chunk in chunks:
        ChunksRepository().save(chunk_id(SOURCE, chunk.index), chunk)
    text = requirements_query(PAYER, STATE)
    [vector] = model.embed([text], task="query")
    QueryVectorsRepository().save(
        query_vector_id(PAYER, STATE),
        QueryVectorRecord(payer=PAYER, state=STATE, text=text, model=model.name, embedding=vector),
    )
    trips: set[int] = set()
    latencies: list[float] = []
    for _ in range(QUERIES):
        counter = start_round_trip_count()
        started = time.perf_counter()
        items = requirements_for("bench-therapist", PAYER, STATE)
        latencies.append((time.perf_counter() - started) * 1000)
        stop_round_trip_count()
        trips.add(counter.count)
    assert items, "the bench's source gave no requirement"
    return [["requirements_for", ",".join(map(str, sorted(trips))), f"{statistics.median(latencies):.1f}"]]


def credentialing_section() -> None:
    model = LocalEmbedder()
    chunks, ingestion = _ingest_offline(model)
    with tempfile.TemporaryDirectory() as work_dir:
        process, stack = start_stack(Path(work_dir))
        try:
            os.environ.update(stack.env)
            from bloom.core.settings import get_settings

            get_settings.cache_clear()
            rows = _requirements_round_trips(model, chunks)
        finally:
            stop_stack(process)
    print_table(
        f"Credentialing requirements on the local stack ({QUERIES} calls, {len(chunks)} chunks of one payer)",
        ["figure", "firestore round trips", "p50 ms"],
        rows,
        [
            f"ingestion of a {PAGES}-page PDF with the local model, Firestore writes excluded:",
            *(f"  {line}" for line in ingestion),
            "goal: 1 read (the payer and state's query vector) + 1 vector query per requirements call",
        ],
    )
