"""A static type check of divergences/ and gan/ (the package ships py.typed): mypy with
the settings of pyproject.toml, in a throwaway cache so every run checks from scratch."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_nothing(tmp_path):
    cmd = [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "divergences", "gan"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "Success" in proc.stdout
