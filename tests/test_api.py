"""The public surface: every exported name exists, is documented, and cites its formula."""

import inspect

import pytest

import divergences


@pytest.mark.parametrize("name", divergences.__all__)
def test_public_name_is_documented(name):
    obj = getattr(divergences, name)
    doc = inspect.getdoc(obj)
    assert doc and len(doc) > 80, f"{name} needs a docstring with its formula"


def test_all_is_sorted_and_unique():
    assert sorted(set(divergences.__all__)) == divergences.__all__
