"""Freed memory kept by the worker process that freed it, so the next piece of the dump reuses it.

By default glibc's malloc hands freed memory back to the kernel: it trims the top of the heap once
more than a threshold is free there (128 KiB, raised as large blocks are freed) and serves large
blocks with mmap. A worker allocates and frees the same megabytes for every piece of the dump (the
piece's bytes and text, the pages of the piece's SQLite database and its serialized copy; Python's
small objects live in CPython's own arenas, which this does not touch), so every piece faulted in
new pages: 1.85 million page faults in the workers for a million complaints. On a virtual machine that
gives freed memory back to its host (free page reporting, as on the machines this project is built
and measured on) each of those is a fault on the host too.

keep_freed_memory() sets both thresholds once (mallopt): freed blocks stay in the worker's heap for
the next piece. A worker then holds its largest heap for the whole run; the pieces are small
(csv_pieces.PIECE_BYTES) so that this stays small too. On a C library other than glibc it does
nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 1 << 30  # never trim in practice (a worker's heap is tens of megabytes)
MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks up to 32 MiB come from the heap, and stay


def keep_freed_memory() -> bool:
    """True if glibc's malloc now keeps freed memory in this process (and the ones it forks)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
