#!/usr/bin/env bash
# The GPU checks in one prepared script (about 5 minutes): the CuPy and torch-CUDA
# cases of the test suite, then the GPU rows of BENCHMARKS.md. Run it from the
# repository root on a machine with a GPU; the logs and the benchmark table, JSON and
# plot go to $OUT (default gpu-results/). Packages the machine's image lacks travel
# as wheels in .whl/ (made here by benchmarks/gpu_wheels.sh) where it cannot reach a
# package registry. DEVICE=cpu QUICK=1 benchmarks/gpu_check.sh tries it on the CPU.
set -o pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-gpu-results}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/gpu.txt"
timeout 90 "$PY" -m pytest -m gpu -q -p no:cacheprovider tests 2>&1 | tee "$OUT/pytest-gpu.log"
tests=$?
timeout 250 "$PY" -m benchmarks --device "${DEVICE:-cuda}" ${QUICK:+--quick} --out "$OUT" 2>&1 | tee "$OUT/benchmarks-gpu.log"
bench=$?
echo "pytest -m gpu: exit $tests; python -m benchmarks --device ${DEVICE:-cuda}: exit $bench"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
