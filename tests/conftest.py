"""Shared test helpers in this folder (``hostile_files``) are importable from every test,
the browser tests in tests/e2e included."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
