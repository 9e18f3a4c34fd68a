"""The hits of sentences the classifier has already read, kept so a revised article costs only
its new sentences.

An article that is revised usually keeps most of its sentences (a correction, an "Update:"
paragraph), and outlets repeat sentences across articles (datelines, standard background
lines). A sentence's hits depend on its own text alone (``CueMatcher.scan`` credits no match
that runs into the next clause), so they can be kept under the sentence's text and reused for
any item, in any order, with the same verdicts as reading it afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from classify.cues import Hit

# About 25 sentences an article: the last ~800 articles read, a few days of a 50-source
# monitor's news, in ~8 MiB (measured ~400 bytes a sentence, its text included). Each
# analysis worker has its own, so more would show in the backfill's memory.
SENTENCE_MEMO_LIMIT = 20_000


class SentenceMemo:
    """A bounded map from sentence text to its hits, least recently used out first.

    Shared by the threads of one process (the watcher checks sources side by side), so
    changes are made under a lock.
    """

    def __init__(self, limit: int = SENTENCE_MEMO_LIMIT) -> None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        self.limit = limit
        self._hits: OrderedDict[str, tuple[Hit, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._hits)

    def get(self, sentence: str) -> tuple[Hit, ...] | None:
        """The kept hits of ``sentence``, or None when it has not been read (or fell out)."""
        hits = self._hits.get(sentence)
        if hits is not None:
            with self._lock:
                if sentence in self._hits:
                    self._hits.move_to_end(sentence)
        return hits

    def put(self, sentence: str, hits: tuple[Hit, ...]) -> None:
        if self.limit == 0:
            return
        with self._lock:
            self._hits[sentence] = hits
            self._hits.move_to_end(sentence)
            while len(self._hits) > self.limit:
                self._hits.popitem(last=False)
