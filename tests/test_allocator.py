"""cecore.allocator: glibc's allocator gives freed memory back; elsewhere nothing happens."""

import subprocess
import sys
from types import SimpleNamespace

import pytest

from cecore import allocator


@pytest.fixture()
def fresh():
    """limit_heap_growth as if not called yet in this process (it is cached)."""
    allocator.limit_heap_growth.cache_clear()
    allocator._malloc_trim.cache_clear()
    yield allocator.limit_heap_growth
    allocator.limit_heap_growth.cache_clear()
    allocator._malloc_trim.cache_clear()


# Run in a fresh interpreter, which loads only cecore/allocator.py (not numpy): its heap is
# small, so a block the heap cannot serve shows where glibc's mmap threshold is. (In this
# process, free space left in the heap by earlier tests could serve any block.)
PROBE = """
import ctypes, importlib.util, sys
spec = importlib.util.spec_from_file_location("allocator", sys.argv[1])
allocator = importlib.util.module_from_spec(spec)
spec.loader.exec_module(allocator)
if sys.argv[2] == "tuned":
    assert allocator.limit_heap_growth() is True
    assert allocator.limit_heap_growth() is True

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]

def mapped_alone(mb):
    before = libc.mallinfo2().hblks
    block = libc.malloc(mb * 1024 * 1024)
    assert block
    alone = libc.mallinfo2().hblks == before + 1
    libc.free(block)
    return alone

print(" ".join(str(mapped_alone(mb)) for mb in (20, 6, 3)))
"""


def mapped_alone(mode):
    """Whether blocks of 20, then 6, then 3 MB get mappings of their own in a fresh process
    (``mode`` "tuned": after limit_heap_growth, "default": glibc's defaults)."""
    result = subprocess.run([sys.executable, "-c", PROBE, allocator.__file__, mode],
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.split()


def test_applied_on_glibc_and_again_harmless(fresh):
    # This project's machines and CI run Linux with glibc
    assert sys.platform.startswith("linux") and allocator.platform.libc_ver()[0] == "glibc"
    assert fresh() is True
    assert fresh() is True  # the cached answer: Streamlit calls it on every run
    allocator.limit_heap_growth.cache_clear()
    assert fresh() is True  # and applying the settings again is fine
    # By default glibc raises its mmap threshold to the size of a freed mapped block: after
    # freeing 20 MB, a 6 MB block comes from the heap (and stays there once freed). Fixed
    # at 4 MiB, it gets a mapping of its own, given back when it is freed; 3 MB does not.
    assert mapped_alone("default") == ["True", "False", "False"]
    assert mapped_alone("tuned") == ["True", "True", "False"]


@pytest.mark.parametrize("system", [
    pytest.param({"platform": "darwin"}, id="macos"),
    pytest.param({"platform": "win32"}, id="windows"),
    pytest.param({"platform": "linux", "libc": ("", "")}, id="musl"),
    pytest.param({"platform": "linux", "libc": ("glibc", "2.36"), "missing": True},
                 id="no-libc.so.6"),
])
def test_nothing_happens_elsewhere(fresh, monkeypatch, system):
    loaded = []

    def cdll(name, *args, **kwargs):
        loaded.append(name)
        if system.get("missing"):
            raise OSError(f"{name}: cannot open shared object file")
        raise AssertionError("mallopt must not be called here")

    monkeypatch.setattr(allocator, "sys", SimpleNamespace(platform=system["platform"]))
    monkeypatch.setattr(allocator, "platform",
                        SimpleNamespace(libc_ver=lambda: system.get("libc", ("", ""))))
    monkeypatch.setattr(allocator, "ctypes", SimpleNamespace(CDLL=cdll))
    assert fresh() is False
    assert fresh() is False
    assert allocator.return_free_memory() is False
    assert loaded == (["libc.so.6"] * 2 if system.get("missing") else [])


def test_free_memory_is_handed_back_on_glibc(fresh):
    import numpy as np

    def vm_rss_kb():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    # Many small blocks (under the mmap threshold, so from the heap), freed at once.
    blocks = [np.ones(4096) for _ in range(20_000)]          # 20,000 x 32 KiB = 640 MiB
    del blocks[:-1]                                          # the top one keeps the heap up
    before = vm_rss_kb()
    assert allocator.return_free_memory() is True
    assert vm_rss_kb() < before - 300 * 1024, (before, vm_rss_kb())
