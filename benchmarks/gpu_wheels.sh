#!/usr/bin/env bash
# Wheels for benchmarks/gpu_check.sh on a GPU machine that cannot reach a package
# registry: the project's dependencies that the stock CUDA image (Python 3.12,
# x86-64, with torch, CuPy, NumPy, SciPy, numba, hypothesis and tqdm) lacks, pinned
# to the versions tested here. Run from the repository root; writes .whl/ (git-ignored).
set -e
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 -d .whl \
  pot==0.9.7.post1 array-api-compat==1.16.0 array-api-extra==0.11.5 array-api-strict==2.6.1
ls -l .whl
