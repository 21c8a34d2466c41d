"""keep_freed_memory(): freed blocks stay in the process, so allocating them again faults in no
new pages (what a build's worker does for every piece of the dump)."""

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")

BLOCKS = 256  # of 64 KiB, as SQLite's pages in a worker's database of a piece: 16 MiB

# Allocates and frees the blocks a few times, then prints the page faults of allocating them again.
PROGRAM = f"""
import resource, sys
from openbangkok.pipeline.freed_memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
for _ in range(3):
    blocks = [bytes([n % 256]) * 65536 for n in range({BLOCKS})]
    del blocks
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
blocks = [bytes([n % 256]) * 65536 for n in range({BLOCKS})]
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str) -> int:
    # glibc's defaults: no malloc settings or other allocator from the environment
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "LD_PRELOAD")
    }
    result = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True, env=env)
    return int(result.stdout)


def test_freed_memory_is_reused_without_new_page_faults():
    pages = BLOCKS * 65536 // 4096
    assert faults("default") > pages // 4  # glibc gave most of them back to the kernel: new pages again
    assert faults("keep") < pages // 20  # kept: the same pages, already there
