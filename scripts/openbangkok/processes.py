"""How the build starts its helper processes (staging workers, the search index, the hashing of files)."""

from __future__ import annotations

import multiprocessing
import threading


def process_context():
    """fork when this process runs no other thread: the child starts at once with what this process
    has imported and built; forkserver otherwise, as a fork copies locks another thread may hold."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
