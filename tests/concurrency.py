"""Run requests at the same moment from threads, to show what two people (or two tabs) racing each other get."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app


def at_once(*requests: Callable[[], object], timeout: float = 30) -> list[object]:
    """Start every request together (a Barrier lines the threads up) and return each one's response or exception."""
    start = threading.Barrier(len(requests))
    results: list[object] = [None] * len(requests)
    app = current_app._get_current_object()

    def run(index: int, request: Callable[[], object]) -> None:
        start.wait(timeout)
        try:
            with app.app_context():  # as the test's own thread has; each request still gets its own
                results[index] = request()
        except Exception as error:  # noqa: BLE001  (a 500 in TESTING mode is raised here; the test reports it)
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


class Rendezvous:
    """Wraps a function so that its first `parties` callers wait for each other after it returns; later calls pass.

    Patched over the check a service makes before inserting (does this account or membership exist yet?), it holds
    every racer inside the window between check and insert, so the race happens on every run, not by luck.
    """

    def __init__(self, function: Callable, parties: int = 2, timeout: float = 10):
        self.function = function
        self.barrier = threading.Barrier(parties)
        self.timeout = timeout
        self._calls = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        with self._lock:
            self._calls += 1
            racing = self._calls <= self.barrier.parties
        if racing:
            self.barrier.wait(self.timeout)
        return result
