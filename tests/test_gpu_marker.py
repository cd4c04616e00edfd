"""`python -m pytest -m gpu` selects the CUDA cases of the xp fixture: where a GPU is
present the torch-CUDA parameter carries the gpu mark (faked here on a CPU machine)."""

import pytest

from tests import conftest

torch = pytest.importorskip("torch")


def test_cuda_cases_carry_the_gpu_mark(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    params = {p.id: p for p in conftest._backends()}
    assert [m.name for m in params["torch-cuda"].marks] == ["gpu"]
    assert all(not p.marks for name, p in params.items() if name in ("numpy", "torch", "array_api_strict"))
