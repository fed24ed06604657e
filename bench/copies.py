"""Syndicated copies: pairwise precision/recall on the labelled set, and the rate of
fingerprinting + candidate lookup + containment checks at BENCH_COPIES_N articles.

`python -m bench copies`; BENCH_COPIES_N (default 100,000) sets the corpus size.

The corpus is synthetic (search/synthetic.py bodies, never the archive), with what makes
the job hard planted in it: one article in ten is a copy of an earlier one (a paragraph
dropped, an editor's note added, words edited, paragraphs swapped), and half the articles
end with one of 40 stock "About the company" paragraphs, so unrelated articles share text
and become LSH candidates that the containment test must turn down. Generating a body is
not timed; reading a candidate's body again (what a rebuild does from the database) is.
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np

from search import synthetic
from search.pipeline import fingerprint as fpr

SEED = 18
COPY_SHARE = 0.1
BOILERPLATES = 40


def _boilerplate(k: int) -> str:
    rng = np.random.default_rng([SEED, 999, k])
    vocab = synthetic.vocabulary()
    words = [vocab[i] for i in rng.integers(0, 3000, 60)]
    return f"About company {k}: " + " ".join(words) + "."


class Corpus:
    """Article n's body, made on demand (deterministic), with copies planted."""

    def __init__(self, n: int) -> None:
        self.n = n
        rng = np.random.default_rng(SEED)
        self.copy_of = np.full(n, -1, np.int64)
        is_copy = rng.random(n) < COPY_SHARE
        is_copy[:50] = False
        for i in np.flatnonzero(is_copy):
            self.copy_of[i] = int(rng.integers(max(0, i - 5000), i))
        self.plate = np.where(rng.random(n) < 0.5, rng.integers(0, BOILERPLATES, n), -1)
        self.plates = [_boilerplate(k) for k in range(BOILERPLATES)]
        self.seconds = 0.0  # time spent making bodies (not part of the measured rate)
        self.cpu = 0.0

    def story(self, i: int) -> int:
        while self.copy_of[i] >= 0:
            i = int(self.copy_of[i])
        return i

    def body(self, i: int) -> str:
        started, cpu = time.perf_counter(), time.process_time()
        base = self.story(i)
        paragraphs = synthetic.article(SEED, base).body.split("\n\n")
        if self.plate[base] >= 0:
            paragraphs.append(self.plates[self.plate[base]])
        if i != base:
            rng = np.random.default_rng([SEED, 7, i])
            if len(paragraphs) > 3 and rng.random() < 0.5:
                del paragraphs[int(rng.integers(1, len(paragraphs)))]
            if rng.random() < 0.5:
                paragraphs.insert(0, "Editor's note: republished with permission of the author.")
            if len(paragraphs) > 3 and rng.random() < 0.3:
                j = int(rng.integers(1, len(paragraphs) - 1))
                paragraphs[j], paragraphs[j + 1] = paragraphs[j + 1], paragraphs[j]
            for _ in range(int(rng.integers(0, 6))):
                j = int(rng.integers(0, len(paragraphs)))
                words = paragraphs[j].split()
                words[int(rng.integers(0, len(words)))] = "edited"
                paragraphs[j] = " ".join(words)
        self.seconds += time.perf_counter() - started
        self.cpu += time.process_time() - cpu
        return "\n\n".join(paragraphs)


def scale(n: int) -> None:
    corpus = Corpus(n)
    index = fpr.MemoryIndex(shingles_of=lambda i: fpr.shingles(corpus.body(i)))
    group = np.arange(n)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        body = corpus.body(i)
        fp = fpr.fingerprint(body)
        match = index.best_copy_of(fp)
        if match is not None:
            group[i] = group[match]
        index.add(i, fp)
        if (i + 1) % 20000 == 0:
            spent = time.perf_counter() - started - corpus.seconds
            cpu_spent = time.process_time() - cpu - corpus.cpu
            print(
                f"  {i + 1:>7} articles: {(i + 1) / spent:.0f}/s "
                f"({(i + 1) / cpu_spent:.0f}/s of CPU time)",
                flush=True,
            )
    spent = time.perf_counter() - started - corpus.seconds
    cpu_spent = time.process_time() - cpu - corpus.cpu
    # Planted truth: pairs within a story. Counted per article against its story's root,
    # which for these star-shaped stories is the same as counting pairs.
    truth = np.array([corpus.story(i) for i in range(n)])
    copies = truth != np.arange(n)
    found_right = sum(1 for i in np.flatnonzero(copies) if group[i] == group[truth[i]])
    wrong = sum(1 for i in range(n) if group[i] != i and truth[i] != truth[group[i]])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scale: {n} articles, {int(copies.sum())} planted copies: "
        f"{n / spent:.0f} articles/s fingerprint + lookup + containment checks "
        f"({n / cpu_spent:.0f}/s of CPU time: the wall-clock rate counts waits for a "
        f"shared CPU, load average {os.getloadavg()[0]:.1f}) "
        f"({index.checked / n:.2f} candidates checked per article, "
        f"{index.turned_down / n:.2f} more turned down on their sketch; making bodies took "
        f"{corpus.seconds:.0f} s, not counted); planted copies found {found_right}/"
        f"{int(copies.sum())}, wrongly grouped {wrong}; peak memory {peak:.0f} MB"
    )


def labelled() -> None:
    from tests.copies_labelled import group, load_items, score

    items = load_items()
    started = time.perf_counter()
    groups = group(items)
    seconds = time.perf_counter() - started
    for split in ("tune", "holdout", "all"):
        print("labelled " + score(items, groups, split).line())
    print(f"labelled: grouped {len(items)} articles in {seconds:.2f} s")


def main() -> None:
    labelled()
    scale(int(os.environ.get("BENCH_COPIES_N", "100000")))
