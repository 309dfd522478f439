"""The embedder's vector cache under concurrent requests (the server answers on several threads)."""
import random
import threading

from rag import Settings
from rag.embedding import Embedder

TEXTS = [f"Reporter number {i} filed story {i * 7} about the dispute between the two companies." for i in range(40)]


def test_threads_reading_remembering_and_evicting_get_the_right_vectors():
    emb = Embedder(Settings().embed_model, cache_size=8)  # tiny: nearly every call evicts someone's entries
    truth = dict(zip(TEXTS, emb.documents(TEXTS)))
    problems = []

    def close(a, b):
        return max(abs(x - y) for x, y in zip(a, b)) < 1e-4

    def reader(seed):
        rng = random.Random(seed)
        try:
            for _ in range(25):
                if rng.random() < 0.3:
                    emb.remember({t: truth[t] for t in rng.sample(TEXTS, 4)})
                batch = rng.sample(TEXTS, 5) + rng.sample(TEXTS, 1)  # a repeat now and then
                emb.missing(iter(batch))
                got = emb.cached(batch)
                if len(got) != len(batch) or not all(close(v, truth[t]) for t, v in zip(batch, got)):
                    problems.append(f"wrong vectors for {batch}")
        except Exception as e:  # noqa: BLE001 - the race shows as a KeyError in a worker thread
            problems.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    assert len(emb.missing(TEXTS)) >= len(TEXTS) - 8  # the cache stayed within its size
