"""DPP sampling, greedy MAP and log-volumes: ours against DPPy and hand-written NumPy.

Problems (fixed seeds):

- exact sampling: L = ``rbf_kernel(x, bandwidth=0.05)`` of n = 1000 points uniform in
  the unit square (E|Y| = 176). ``sample(L, seed)`` against DPPy 0.3.3's
  ``FiniteDPP("likelihood", L=L).sample_exact(mode=...)`` in its two projection
  samplers ``GS`` and ``GS_bis`` (the faster is the row's peer), a fresh object per
  call so that all pay the eigendecomposition. Target <= 1.0x (the issue). Both sides
  spend most of the time in LAPACK: DPPy in a full ``eigh``, ours in the tridiagonal
  reduction and divide and conquer, with only the kept eigenvectors (|Y| or k of n)
  transformed back.
- k-DPP sampling, same kernel, k = 50: ``sample_k`` against DPPy's
  ``sample_exact_k_dpp(size=50, mode=...)``, ``GS`` and ``GS_bis`` (reported). The note says what DPPy does
  on ``1e100 * L``, whose e_50 overflows float64 (ours samples it, in log space).
- greedy MAP, n = 5000, k = 100 (the issue's size): an RBF kernel of points in R^10.
  DPPy has no greedy MAP, so the peer is a hand-written NumPy transcription of Chen et
  al.'s published reference code (fast-map-dpp, ``dpp(kernel_matrix, max_length)``),
  the same O(n k^2) incremental Cholesky without input checks. ``value_diff`` is
  |log det L_Y(ours) - log det L_Y(peer)|; the note says whether the sets agree.
- log_volume on a (256, 1024, 64) batch against the naive
  ``sqrt(det(B^T B))`` (its log), NumPy and torch CPU. Accuracy on two families with
  a known value: ``B = Q diag(s) W^T`` (orthonormal Q, W; singular values s
  log-spaced over cond(B) = 10 (well conditioned: the Gram fast path, target <= 3x
  the naive time) and 1e6 (the QR path), times a random factor, so the volume is
  within the float range and log vol = sum log s, up to the rounding of B itself,
  about 1e-13 relative on the smallest s), and the same B times column scales
  d_j = 10^U(-150, 150) (log vol + sum log|d_j|; timed on those scaled B).
  ``value_diff`` is our largest absolute error in log vol over the batch; the note
  has the naive one.

Quick mode shrinks every size (n = 300 with k = 20, greedy n = 2000 with k = 50,
log-volume batch (16, 512, 32)). The greedy rows take milliseconds, so they keep the
best of 20 (quick) or 10 repeats: with 2 or 3, one burst of load on a shared machine
decides the ratio. DPPy (``pip install dppy``; not in the ``bench`` extra) is optional: without
it the two sampling rows are skipped. BLAS threading matters on a loaded 2-core machine
(OpenBLAS threads contend); ``OPENBLAS_NUM_THREADS=1`` gives the steadiest ratios.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from divergences import dpp, linalg

from ._timing import Row, best_times

try:
    from dppy.finite_dpps import FiniteDPP
except ImportError:  # pragma: no cover - the sampling rows need it
    FiniteDPP = None

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


# ---------------------------------------------------------------------- sampling

def _sampling_kernel(n: int) -> np.ndarray:
    x = np.random.default_rng(0).random((n, 2))
    return np.asarray(dpp.rbf_kernel(x, bandwidth=0.05))


def _dppy_on_huge_kernel(L: np.ndarray, k: int) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            s = FiniteDPP("likelihood", L=1e100 * L).sample_exact_k_dpp(
                size=k, mode="GS", random_state=np.random.RandomState(0))
        except Exception as err:  # noqa: BLE001 - we report whatever DPPy does
            return f"DPPy on 1e100*L: {type(err).__name__}: {err}"
    return f"DPPy on 1e100*L: {len(set(s))} distinct of {k}"


MODES = ("GS", "GS_bis")  # DPPy's projection-DPP samplers after the eigendecomposition


def _sampling_rows(n: int, k: int, repeats: int) -> list[Row]:
    if FiniteDPP is None:
        return []
    L = _sampling_kernel(n)
    expected = float(dpp.expected_size(L))
    rng_ours, rng_peer = np.random.default_rng(1), np.random.RandomState(1)
    sizes = {"ours": [], **{m: [] for m in MODES}}

    def ours():
        sizes["ours"].append(len(dpp.sample(L, seed=rng_ours)))

    def peer(mode):
        sizes[mode].append(len(FiniteDPP("likelihood", L=L).sample_exact(mode=mode, random_state=rng_peer)))

    t = best_times({"ours": ours, **{m: (lambda m=m: peer(m)) for m in MODES}}, repeats=repeats, warmup=1)
    best = min(MODES, key=lambda m: t[m])
    note = (f"E|Y| = {expected:.1f}; mean |Y| ours {np.mean(sizes['ours']):.1f}, "
            + ", ".join(f"DPPy {m} {np.mean(sizes[m]):.1f} ({t[m]:.3g} s)" for m in MODES)
            + f" over {len(sizes['ours'])} draws")
    rows = [Row("dpp sample", n, t["ours"], "DPPy", t[best], float("nan"), note, 1.0,
                regime="likelihood L, fresh eigendecomposition", peer_mode=f"sample_exact {best}")]

    kd = {
        "ours": lambda: dpp.sample_k(L, k, seed=rng_ours),
        **{m: (lambda m=m: FiniteDPP("likelihood", L=L).sample_exact_k_dpp(size=k, mode=m, random_state=rng_peer))
           for m in MODES},
    }
    t = best_times(kd, repeats=repeats, warmup=1)
    best = min(MODES, key=lambda m: t[m])
    ok = len(set(dpp.sample_k(1e100 * L, k, seed=0).tolist())) == k
    note = (f"k = {k}; " + ", ".join(f"DPPy {m} {t[m]:.3g} s" for m in MODES)
            + f"; ours on 1e100*L: {'a valid k-set' if ok else 'FAILED'}; {_dppy_on_huge_kernel(L, k)}")
    rows.append(Row("dpp sample_k", n, t["ours"], "DPPy", t[best], float("nan"), note,
                    regime=f"k-DPP, k = {k}", peer_mode=f"sample_exact_k_dpp {best}"))
    return rows


# ---------------------------------------------------------------------- greedy MAP

def _chen_reference(kernel_matrix: np.ndarray, max_length: int, epsilon: float = 1e-10) -> list[int]:
    """Chen, Zhang, Zhou (NeurIPS 2018), the published NumPy reference, transcribed."""
    item_size = kernel_matrix.shape[0]
    cis = np.zeros((max_length, item_size))
    di2s = np.copy(np.diag(kernel_matrix))
    selected_items = []
    selected_item = int(np.argmax(di2s))
    selected_items.append(selected_item)
    while len(selected_items) < max_length:
        k = len(selected_items) - 1
        ci_optimal = cis[:k, selected_item]
        di_optimal = math.sqrt(di2s[selected_item])
        elements = kernel_matrix[selected_item, :]
        eis = (elements - np.dot(ci_optimal, cis[:k, :])) / di_optimal
        cis[k, :] = eis
        di2s -= np.square(eis)
        di2s[selected_item] = -np.inf
        selected_item = int(np.argmax(di2s))
        if di2s[selected_item] < epsilon:
            break
        selected_items.append(selected_item)
    return selected_items


def _greedy_rows(n: int, k: int, repeats: int) -> list[Row]:
    x = np.random.default_rng(2).normal(size=(n, 10))
    L = np.asarray(dpp.rbf_kernel(x, bandwidth=2.0))
    t = best_times({"ours": lambda: dpp.greedy_map(L, k), "peer": lambda: _chen_reference(L, k)}, repeats=repeats)
    ours, ref = dpp.greedy_map(L, k).tolist(), _chen_reference(L, k)

    def logdet(S):
        return float(np.linalg.slogdet(L[np.ix_(S, S)])[1])

    diff = abs(logdet(ours) - logdet(ref))
    note = (f"k = {k}; sets {'identical' if ours == ref else 'differ'}; ours checks the chosen rows "
            "(finite), L_YY (symmetric) and the gains (PSD)")
    return [Row("dpp greedy_map", n, t["ours"], "NumPy Chen et al. reference", t["peer"], diff, note)]


# ---------------------------------------------------------------------- log-volume

def _known_volume_batch(batch: int, n: int, k: int, seed: int, cond: float = 1e6) -> tuple[np.ndarray, np.ndarray]:
    """B = Q diag(s) W^T with exact log vol = sum log s, singular values spread over
    ``cond``."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.normal(size=(batch, n, k)))[0]
    W = np.linalg.qr(rng.normal(size=(batch, k, k)))[0]
    half = 0.5 * np.log10(cond)
    s = np.logspace(-half, half, k)[None, :] * rng.uniform(0.5, 2.0, size=(batch, 1))  # vol ~ 1
    B = (Q * s[:, None, :]) @ np.swapaxes(W, -1, -2)
    return B, np.sum(np.log(s), axis=-1)


def _naive_log(B, xp_det, transpose):
    with np.errstate(all="ignore"):
        return 0.5 * np.log(np.asarray(xp_det(transpose(B) @ B), dtype=float))


def _max_err(got, exact) -> float:
    got = np.asarray(got, dtype=float)
    err = np.abs(got - exact)
    return float(np.max(np.where(np.isfinite(err), err, np.inf)))


def _volume_rows(batch: int, n: int, k: int, repeats: int) -> list[Row]:
    """Well conditioned (cond 10: the Gram fast path), cond 1e6 (the QR path: the
    Gram matrix would lose 12 digits) and column scales 1e-150..1e150."""
    return _conditioned_rows(batch, n, k, repeats, 10.0) + _conditioned_rows(batch, n, k, repeats, 1e6)


def _conditioned_rows(batch: int, n: int, k: int, repeats: int, cond: float) -> list[Row]:
    B, exact = _known_volume_batch(batch, n, k, seed=3, cond=cond)
    d = 10.0 ** np.random.default_rng(4).uniform(-150, 150, size=(batch, 1, k))
    Bd, exact_d = B * d, exact + np.sum(np.log(d), axis=(-2, -1))
    t_np = lambda X: np.swapaxes(X, -1, -2)  # noqa: E731
    fns = {
        "ours": lambda: linalg.log_volume(B),
        "ours scaled": lambda: linalg.log_volume(Bd),
        "peer": lambda: _naive_log(B, np.linalg.det, t_np),
    }
    t = best_times(fns, repeats=repeats)
    err_ours, err_naive = _max_err(linalg.log_volume(B), exact), _max_err(_naive_log(B, np.linalg.det, t_np), exact)
    err_ours_d = _max_err(linalg.log_volume(Bd), exact_d)
    naive_d = _naive_log(Bd, np.linalg.det, t_np)
    bad = int(np.sum(~np.isfinite(naive_d)))
    shape = f"({batch}, {n}, {k})"
    tag = f"cond {cond:.0e}"
    rows = [
        Row("log_volume", n, t["ours"], "naive sqrt(det(B^T B))", t["peer"], err_ours,
            f"{shape}, {tag}; naive error {err_naive:.1e}", regime=tag),
        Row("log_volume scaled", n, t["ours scaled"], "naive sqrt(det(B^T B))", t["peer"], err_ours_d,
            f"{shape}, {tag}, column scales 1e-150..1e150; naive: {bad}/{batch} not finite, "
            f"error {_max_err(naive_d, exact_d):.1e}", regime=tag),
    ]
    if torch is not None:
        Bt = torch.tensor(B)
        t_t = lambda X: X.transpose(-1, -2)  # noqa: E731
        fns = {
            "ours": lambda: linalg.log_volume(Bt),
            "peer": lambda: 0.5 * torch.log(torch.linalg.det(t_t(Bt) @ Bt)),
        }
        t = best_times(fns, repeats=repeats)
        naive_t = (0.5 * torch.log(torch.linalg.det(t_t(Bt) @ Bt))).numpy()
        rows.append(Row("log_volume torch", n, t["ours"], "naive torch sqrt(det(B^T B))", t["peer"],
                        _max_err(linalg.log_volume(Bt).numpy(), exact),
                        f"{shape}, {tag}, torch CPU float64; naive error {_max_err(naive_t, exact):.1e}",
                        regime=tag))
    return rows


def run(quick: bool = False) -> list[Row]:
    if quick:
        return _sampling_rows(300, 20, 2) + _greedy_rows(2000, 50, 20) + _volume_rows(16, 512, 32, 2)
    return _sampling_rows(1000, 50, 5) + _greedy_rows(5000, 100, 10) + _volume_rows(256, 1024, 64, 3)
