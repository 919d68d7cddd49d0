"""Keep a long-running server's resident memory close to the memory it really uses.

On Linux with glibc, memory that Python and numpy free is not always given back to the
system. The Streamlit server runs every script run in a new thread and glibc gives threads
heaps of their own ("arenas": 13 already when the app first runs, up to 16 on two cores).
After a large block (an uploaded file, a data matrix) is freed, glibc raises its mmap
threshold to that block's size, up to 32 MiB, and the free-top threshold to twice that:
later blocks of that size come from the heaps instead of mappings of their own, and once
freed each heap keeps up to 64 MiB of them. In tests/e2e/test_memory.py, 20 visitors in a
row each uploading a 10 MB CSV and training took the server's resident memory from 405 MB
after the first to 664 MB after the last (1.64x), while its live memory stayed near 175 MB
(mallinfo2).

:func:`limit_heap_growth` fixes two of glibc's settings with ``mallopt``:

- ``M_MMAP_THRESHOLD`` = 4 MiB: every block of 4 MiB or more (a column of 500,000 numbers)
  is a mapping of its own, given back to the system when it is freed. Not lower: numpy asks
  for transparent huge pages from 4 MiB on, which makes such blocks cheap to map again;
  at 128 KiB every per-epoch temporary of a 20,000 to 400,000-row table was mapped and
  zeroed anew and an epoch took 1.4 to 1.9 times as long.
- ``M_TRIM_THRESHOLD`` = 8 MiB: a heap gives back its free top beyond 8 MiB. Every heap
  keeps up to this much, so it bounds the growth: at 16 MiB the 20 visitors still took the
  server to 1.34-1.42x (1.49x on the way), at 4 MiB to 1.26x. It also sets how often a
  heap shrinks and grows back during training: at 8 MiB an epoch on 200,000 to 400,000
  rows takes 1.25-1.3 times as long as with glibc's defaults (at 4 MiB, from 100,000 rows
  on), on 20,000, 100,000 and 1,000,000 rows as long as before.

With these settings the 20 visitors took the server from 380-390 MB to 500-520 MB
(1.30-1.33x), and it stays there. (A fixed mmap threshold also stops glibc from raising
either threshold.)

Limiting the number of heaps (``M_ARENA_MAX``) would help too, but not from here: glibc
fixes its heap limit once it has more than eight heaps, before the app's first run.
``MALLOC_ARENA_MAX=2`` in the server's environment does it (20 visitors, with a 32 MiB trim
threshold: 399 MB to 479 MB).

Elsewhere (macOS, Windows, Linux with musl) the function does nothing and returns False:
``mallopt`` is glibc's.
"""

from __future__ import annotations

import ctypes
import functools
import platform
import sys

__all__ = ["limit_heap_growth", "return_free_memory"]

# mallopt parameters, from glibc's <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

SETTINGS = {
    M_MMAP_THRESHOLD: 4 * 1024 * 1024,
    M_TRIM_THRESHOLD: 8 * 1024 * 1024,
}


def _glibc():
    """glibc's C library, or None on another system or C library."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


@functools.cache
def limit_heap_growth() -> bool:
    """Make glibc's allocator give freed memory back to the system (see the module's
    docstring). Returns True when the settings were applied (Linux with glibc), False
    elsewhere, where nothing is changed.

    The settings are applied once per process; later calls return the first call's answer,
    so a Streamlit script may call this on every run.
    """
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all([mallopt(param, value) == 1 for param, value in SETTINGS.items()])


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None elsewhere."""
    libc = _glibc()
    if libc is None:
        return None
    trim = libc.malloc_trim
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def return_free_memory() -> bool:
    """Hand the free memory of the C heap back to the system now (``malloc_trim(0)``).

    For a step that frees large temporaries just before it allocates something larger
    (cecore.data: the parsed columns before the data matrix): the freed blocks cannot hold
    the new one, and without a trim the peak is the live data plus that free space. Returns
    whether a trim ran (Linux with glibc only).
    """
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
