"""Side-by-side benchmarks of ``divergences`` against its peers (POT, SciPy, ...).

Run from the repository root: ``python -m benchmarks [--quick] [--only exact] [--out DIR]``.
Each area is one module with ``run(quick: bool) -> list[Row]``, registered in
``benchmarks.__main__.AREAS``. Not part of the test suite.
"""
