"""gan.stabilizers: label smoothing, instance noise, historical averaging, virtual
batch normalisation against a direct computation, spectral normalisation checked
with divergences.linalg.spectral_norm, and the deprecated gan.train names."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import divergences  # noqa: E402
import gan  # noqa: E402
from gan import stabilizers  # noqa: E402

DT = torch.float64


def test_smooth_labels_is_one_sided():
    y = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=DT)
    assert torch.equal(stabilizers.smooth_labels(y, 0.2), torch.tensor([0.8, 0.0, 0.8, 0.0], dtype=DT))
    assert torch.equal(stabilizers.smooth_labels(y, 0.0), y)
    with pytest.raises(ValueError, match="smoothing"):
        stabilizers.smooth_labels(y, 1.0)
    with pytest.raises(ValueError, match="smoothing"):
        stabilizers.smooth_labels(y, -0.1)


def test_instance_noise():
    x = torch.arange(6, dtype=DT).reshape(3, 2)
    assert stabilizers.instance_noise(x, 0.0) is x
    a = stabilizers.instance_noise(x, 0.3, generator=torch.Generator().manual_seed(5))
    b = stabilizers.instance_noise(x, 0.3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.dtype == DT
    eps = torch.randn(3, 2, dtype=DT, generator=torch.Generator().manual_seed(5))
    assert torch.allclose(a, x + 0.3 * eps, rtol=1e-15)
    big = stabilizers.instance_noise(torch.zeros(200_000, dtype=DT), 2.0, generator=torch.Generator().manual_seed(0))
    assert float(big.std()) == pytest.approx(2.0, rel=1e-2)
    with pytest.raises(ValueError, match="sigma"):
        stabilizers.instance_noise(x, -1.0)


def test_historical_average_by_hand():
    m = torch.nn.Linear(2, 1).to(DT)
    h = stabilizers.HistoricalAverage(m, weight=0.5)
    assert float(h()) == 0.0
    snaps = [([1.0, 2.0], -1.0), ([3.0, 0.0], 1.0), ([2.0, 4.0], 3.0)]
    for w, b in snaps:
        with torch.no_grad():
            m.weight.copy_(torch.tensor([w], dtype=DT))
            m.bias.fill_(b)
        h.update()
    assert h.count == 3
    assert torch.allclose(h.average[0], torch.tensor([[2.0, 2.0]], dtype=DT))
    assert torch.allclose(h.average[1], torch.tensor([1.0], dtype=DT))
    # current (2, 4; 3) against the average (2, 2; 1): 0.5 * (0 + 4 + 4) = 4
    value = h()
    assert float(value.detach()) == pytest.approx(4.0, rel=1e-15)
    value.backward()  # gradient 2 w (theta - average)
    assert torch.allclose(m.weight.grad, torch.tensor([[0.0, 2.0]], dtype=DT))
    assert torch.allclose(m.bias.grad, torch.tensor([2.0], dtype=DT))


def test_spectral_norm_bounds_each_layer_and_the_critic():
    linalg = pytest.importorskip("divergences.linalg")
    if not hasattr(linalg, "spectral_norm"):
        pytest.skip("divergences.linalg.spectral_norm not available")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.Tanh(),
                              torch.nn.Linear(16, 1)).to(DT)
    with torch.no_grad():
        for layer in (net[0], net[2], net[4]):
            layer.weight.mul_(5.0)  # far from 1-Lipschitz before normalisation
    stabilizers.spectral_normalize(net, n_power_iterations=1)
    x = torch.randn(64, 4, dtype=DT)
    with torch.no_grad():
        for _ in range(50):  # power iterations continue in training mode
            net(x)
    net.eval()
    for layer in (net[0], net[2], net[4]):
        W = layer.weight.detach().numpy()
        sigma = float(linalg.spectral_norm(W, seed=0, tol=1e-10, max_iter=10_000).value)
        assert sigma == pytest.approx(1.0, abs=1e-6)
        assert sigma == pytest.approx(np.linalg.norm(W, 2), rel=1e-8)
    with torch.no_grad():
        f = net(x)[:, 0]
    assert float(divergences.lipschitz_constant(f.numpy(), x.numpy())) <= 1.0 + 1e-6
    # applying it twice keeps one parametrization; a module without layers is rejected
    stabilizers.spectral_normalize(net)
    assert len(net[0].parametrizations.weight) == 1
    with pytest.raises(ValueError, match="no linear"):
        stabilizers.spectral_normalize(torch.nn.ReLU())


def _vbn_direct(x, m, eps, weight, bias):
    """Each non-reference row normalised with the biased mean and variance of the
    reference rows plus itself, pooled over the batch and spatial axes."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    rows = []
    for i in range(x.shape[0]):
        pool = x[:m] if i < m else torch.cat([x[:m], x[i:i + 1]])
        mu = pool.mean(dim=axes, keepdim=True)
        var = ((pool - mu) ** 2).mean(dim=axes, keepdim=True)
        rows.append((x[i:i + 1] - mu) / torch.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape))
    return torch.cat(rows)


@pytest.mark.parametrize("shape", [(9, 3), (7, 2, 4, 3)])
def test_virtual_batch_norm_against_a_direct_computation(shape):
    g = torch.Generator().manual_seed(3)
    x = (torch.randn(*shape, dtype=DT, generator=g) * 2 + 1).requires_grad_(True)
    vbn = stabilizers.VirtualBatchNorm(shape[1], reference_size=4, eps=1e-3, dtype=DT)
    with torch.no_grad():
        vbn.weight.copy_(torch.linspace(0.5, 2.0, shape[1], dtype=DT))
        vbn.bias.copy_(torch.linspace(-1.0, 1.0, shape[1], dtype=DT))
    out = vbn(x)
    expected = _vbn_direct(x, 4, 1e-3, vbn.weight, vbn.bias)
    assert torch.allclose(out, expected, rtol=1e-12, atol=1e-12)
    w = torch.randn(*shape, dtype=DT, generator=g)
    got = torch.autograd.grad((out * w).sum(), [x, vbn.weight, vbn.bias])
    want = torch.autograd.grad((expected * w).sum(), [x, vbn.weight, vbn.bias])
    for a, b in zip(got, want):
        assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)
    # a sample's output depends on the reference and itself only, and eval mode is the same
    alone = vbn(torch.cat([x[:4], x[5:6]]))[4]
    assert torch.allclose(alone, out[5], rtol=1e-13, atol=1e-13)
    vbn.eval()
    assert torch.allclose(vbn(x), out, rtol=0, atol=0)


def test_virtual_batch_norm_bad_input():
    with pytest.raises(ValueError, match="reference_size"):
        stabilizers.VirtualBatchNorm(3, reference_size=0)
    vbn = stabilizers.VirtualBatchNorm(3, reference_size=4)
    with pytest.raises(ValueError, match="reference batch of 4 rows"):
        vbn(torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"shape \(N, 3, ...\)"):
        vbn(torch.zeros(5, 2))


def test_the_helpers_keep_their_old_names():
    assert gan.train.smooth_labels is stabilizers.smooth_labels
    assert gan.train.HistoricalAverage is stabilizers.HistoricalAverage
    assert gan.train.instance_noise is stabilizers.instance_noise
    assert gan.clip_weights is stabilizers.clip_weights
    with pytest.warns(DeprecationWarning, match="spectral_normalize"):
        old = gan.train.spectral_norm
    assert old is stabilizers.spectral_normalize
    with pytest.raises(ValueError, match="weight"):
        stabilizers.HistoricalAverage(torch.nn.Linear(1, 1), weight=-1.0)


def test_public_names_are_documented():
    for name in stabilizers.__all__:
        assert len(getattr(stabilizers, name).__doc__) > 80, name
    assert len(stabilizers.__doc__) > 80
