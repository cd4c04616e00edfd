"""gan.audit.critic_gap: 0 at the exact optimal 1-D critic, > 0 for a random critic,
and >= 0 (KR duality) for any critic, against divergences' exact W_1."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import divergences  # noqa: E402
import gan  # noqa: E402
from gan.audit import CriticGap, critic_gap  # noqa: E402

DT = torch.float64


def _batches(seed, n=40, m=30, d=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, dtype=DT, generator=g), 0.7 * torch.randn(m, d, dtype=DT, generator=g) + 0.5


def _optimal_1d_critic(real, fake):
    """f with f' = sign(F_fake - F_real): E_real f - E_fake f = int |F_real - F_fake| = W_1."""
    x, y = real[:, 0].numpy(), fake[:, 0].numpy()
    t = np.sort(np.concatenate([x, y]))
    F_real = np.searchsorted(np.sort(x), t[:-1], side="right") / len(x)
    F_fake = np.searchsorted(np.sort(y), t[:-1], side="right") / len(y)
    values = np.concatenate([[0.0], np.cumsum(np.sign(F_fake - F_real) * np.diff(t))])
    return lambda z: torch.as_tensor(np.interp(z[:, 0].numpy(), t, values), dtype=DT)


def test_gap_vanishes_at_the_exact_optimal_1d_critic():
    real, fake = _batches(0)
    out = critic_gap(_optimal_1d_critic(real, fake), real, fake)
    w1 = float(divergences.wasserstein_1d(real[:, 0].numpy(), fake[:, 0].numpy()))
    assert out.w1 == pytest.approx(w1, rel=1e-12)
    assert out.kr == pytest.approx(w1, rel=1e-12)
    assert out.lipschitz == pytest.approx(1.0, rel=1e-12)
    assert abs(out.gap) < 1e-12
    # a scaled optimal critic: kr and L scale together, the gap stays 0
    f = _optimal_1d_critic(real, fake)
    out3 = critic_gap(lambda z: 3.0 * f(z) + 1.0, real, fake)
    assert out3.kr == pytest.approx(3 * w1, rel=1e-12) and abs(out3.gap) < 1e-12


def test_gap_is_positive_for_a_random_critic_and_nonnegative_for_many():
    real, fake = _batches(1, d=3)
    torch.manual_seed(0)
    for trial in range(5):
        net = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).to(DT)
        out = critic_gap(net, real, fake)
        assert isinstance(out, CriticGap)
        assert out.gap >= -1e-12 * out.w1
        if trial == 0:
            assert out.gap > 1e-3 * out.w1
        # the fields are what they say
        with torch.no_grad():
            fr, ff = net(real)[:, 0], net(fake)[:, 0]
        assert out.kr == pytest.approx(float(fr.mean() - ff.mean()), rel=1e-12, abs=1e-15)
        pts = torch.cat([real, fake]).numpy()
        assert out.lipschitz == pytest.approx(
            float(divergences.lipschitz_constant(torch.cat([fr, ff]).numpy(), pts)), rel=1e-12)
    M = np.sqrt(((real.numpy()[:, None] - fake.numpy()[None]) ** 2).sum(-1))
    assert out.w1 == pytest.approx(float(divergences.solve(M, method="lp").value), rel=1e-9)


def test_gap_on_image_shaped_batches_and_unequal_sizes():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(12, 2, 3, 3, dtype=DT, generator=g), torch.randn(9, 2, 3, 3, dtype=DT, generator=g)
    w = torch.randn(18, dtype=DT, generator=g)
    out = critic_gap(lambda x: x.reshape(x.shape[0], -1) @ w, real, fake)
    x, y = real.reshape(12, -1).numpy(), fake.reshape(9, -1).numpy()
    M = np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1))
    assert out.w1 == pytest.approx(float(divergences.solve(M).value), rel=1e-12)
    assert out.lipschitz <= float(torch.linalg.vector_norm(w)) + 1e-12  # a linear critic: L <= |w|
    assert out.gap >= -1e-12


def test_bad_input():
    x = torch.zeros(4, 2, dtype=DT)
    with pytest.raises(ValueError, match="sample shape"):
        critic_gap(lambda z: z[:, 0], x, torch.zeros(4, 3, dtype=DT))
    with pytest.raises(ValueError, match="critic output"):
        critic_gap(lambda z: z, x, x)
    with pytest.raises(ValueError, match="NaN"):
        critic_gap(lambda z: z[:, 0] / 0.0, x, x)


def test_public_names_are_documented():
    for name in gan.audit.__all__:
        assert len(getattr(gan.audit, name).__doc__) > 80, name
    assert len(gan.audit.__doc__) > 80
