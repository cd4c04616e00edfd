"""gan.diversity by hand: feature matching, minibatch discrimination (L1 kernels,
self-pairs excluded) and the O-GAN loss (code mean as score, per-sample Pearson
correlation)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gan  # noqa: E402
from gan.diversity import (  # noqa: E402
    MinibatchDiscrimination,
    correlation,
    feature_matching,
    ogan_loss,
    ogan_score,
)

DT = torch.float64
E = math.exp


def test_feature_matching_by_hand():
    a = torch.tensor([[1.0, 0.0], [3.0, 2.0]], dtype=DT)  # mean (2, 1)
    b = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, -4.0]], dtype=DT)  # mean (1, -1)
    assert float(feature_matching(a, b)) == pytest.approx(1.0 + 4.0, rel=1e-15)
    # features are flattened per sample; the gradient reaches both sides
    x = torch.arange(24, dtype=DT).reshape(4, 2, 3).requires_grad_(True)
    y = torch.zeros(2, 2, 3, dtype=DT)
    v = feature_matching(x, y)
    mean = x.detach().reshape(4, 6).mean(0)
    assert float(v.detach()) == pytest.approx(float((mean ** 2).sum()), rel=1e-15)
    (g,) = torch.autograd.grad(v, x)
    assert torch.allclose(g, (2 * mean / 4).reshape(2, 3).expand(4, 2, 3))
    with pytest.raises(ValueError, match="number of features"):
        feature_matching(a, torch.zeros(2, 3, dtype=DT))


def _layer(T, kernels, dim):
    layer = MinibatchDiscrimination(T.shape[0], kernels, dim, dtype=DT)
    with torch.no_grad():
        layer.T.copy_(T)
    return layer


def test_minibatch_discrimination_by_hand():
    # two kernels of dimension 1: M_i = (x_i0, 2 x_i1)
    layer = _layer(torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=DT), 2, 1)
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=DT)
    o = layer.similarities(x)
    expected = torch.tensor([[1 + E(-1), 1 + E(-2)],
                             [2 * E(-1), 1 + E(-2)],
                             [1 + E(-1), 2 * E(-2)]], dtype=DT)
    assert torch.allclose(o, expected, rtol=1e-15)
    out = layer(x)
    assert out.shape == (3, 4) and torch.equal(out[:, :2], x) and torch.equal(out[:, 2:], o)


def test_minibatch_discrimination_uses_the_l1_distance_per_kernel():
    # one kernel of dimension 2: M = (x0 + x1, x0 - x1); points (0, 0) and (1, 0): L1 = 2
    layer = _layer(torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=DT), 1, 2)
    o = layer.similarities(torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=DT))
    assert torch.allclose(o, torch.full((2, 1), E(-2), dtype=DT), rtol=1e-15)  # not e^{-sqrt 2}


def test_minibatch_discrimination_excludes_self_pairs():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(6, dtype=DT)
    assert layer.T.shape == (6, 100 * 5)  # 100 kernels of dimension 5 by default
    x = torch.randn(1, 6, dtype=DT)
    assert torch.equal(layer.similarities(x), torch.zeros(1, 100, dtype=DT))  # alone: nothing to compare
    same = x.expand(4, 6)
    assert torch.equal(layer.similarities(same), torch.full((4, 100), 3.0, dtype=DT))  # N - 1, not N
    # image-shaped input is flattened; gradients are finite (also at zero distances)
    img = torch.randn(5, 1, 2, 3, dtype=DT, requires_grad=True)
    out = layer(img)
    assert out.shape == (5, 106)
    out.sum().backward()
    assert torch.isfinite(img.grad).all() and torch.isfinite(layer.T.grad).all()
    with pytest.raises(ValueError, match="6 features"):
        layer(torch.zeros(2, 5, dtype=DT))
    with pytest.raises(ValueError, match="num_kernels"):
        MinibatchDiscrimination(3, num_kernels=0)


def test_correlation_by_hand():
    z = torch.tensor([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]], dtype=DT)
    e = torch.tensor([[1.0, 3.0, 2.0, 4.0], [10.0, 8.0, 6.0, 4.0], [5.0, 5.0, 5.0, 5.0]], dtype=DT)
    # centred (-1.5, -.5, .5, 1.5) and (-1.5, .5, -.5, 1.5): 4 / 5; a reversed line: -1; a constant code: 0
    rho = correlation(z, e)
    assert torch.allclose(rho, torch.tensor([0.8, -1.0, 0.0], dtype=DT), rtol=1e-14, atol=1e-15)
    assert float(rho[0]) == pytest.approx(np.corrcoef(z[0].numpy(), e[0].numpy())[0, 1], rel=1e-14)
    # invariant to each sample's shift and positive scale of the code
    assert torch.allclose(correlation(z, 3 * e + 7), rho, rtol=1e-14, atol=1e-15)
    with pytest.raises(ValueError, match="same shape"):
        correlation(z, e[:, :3])


def test_ogan_loss_by_hand():
    # the encoder is a fixed linear map; base loss wgan, lam = 2
    A = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], dtype=DT)
    enc = lambda x: x @ A  # noqa: E731
    real = torch.tensor([[1.0, 1.0], [2.0, 0.0]], dtype=DT)
    z = torch.tensor([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]], dtype=DT)
    fake = torch.tensor([[0.0, 1.0], [1.0, 2.0]], dtype=DT, requires_grad=True)
    # codes: real (1,1,1), (2,0,4): means 1, 2; fake (0,1,-1), (1,2,0): means 0, 1
    # rho((1,2,3), (0,1,-1)) = (-1*1 + 0 + 1*(-1)) / (sqrt 2 sqrt 2) = -1/2
    # rho((3,1,2), (1,2,0)) = (1*0 + (-1)*1 + 0) / (sqrt 2 sqrt 2) = -1/2
    L = ogan_loss("wgan", lam=2.0)
    assert L.base.name == "wgan" and L.hparams["lam"] == 2.0 and "1903.01931" in L.reference
    assert float(ogan_score(enc)(real)[1]) == 2.0
    c = L.critic(enc, real, fake, z)
    g = L.generator(enc, real, fake, z)
    assert float(c.detach()) == pytest.approx((0 + 1) / 2 - (1 + 2) / 2 - 2 * (-0.5), rel=1e-14)
    assert float(g.detach()) == pytest.approx(-(0 + 1) / 2 - 2 * (-0.5), rel=1e-14)
    # the critic loss does not reach the generator's output, the generator loss does
    assert not c.requires_grad
    (gf,) = torch.autograd.grad(g, fake)
    assert torch.isfinite(gf).all() and float(gf.abs().sum()) > 0


def test_ogan_trains_the_encoder_through_the_correlation():
    torch.manual_seed(0)
    enc = torch.nn.Linear(2, 3).to(DT)
    real, fake, z = torch.randn(8, 2, dtype=DT), torch.randn(8, 2, dtype=DT), torch.randn(8, 3, dtype=DT)
    L = ogan_loss()  # gan-qp, lam = 0.5, as in the official code
    assert L.base.name == "gan-qp" and L.lam == 0.5
    full = torch.autograd.grad(L.critic(enc, real, fake, z), enc.weight)[0]
    base = torch.autograd.grad(gan.loss("gan-qp").critic(ogan_score(enc), real, fake), enc.weight)[0]
    rho = torch.autograd.grad(-0.5 * correlation(z, enc(fake)).mean(), enc.weight)[0]
    assert torch.allclose(full, base + rho, rtol=1e-12, atol=1e-15)
    assert float(rho.abs().sum()) > 0
    with pytest.raises(ValueError, match="lam"):
        ogan_loss(lam=0.0)
    with pytest.raises(ValueError, match="unknown loss"):
        ogan_loss("nope")


def test_public_names_are_documented():
    for name in gan.diversity.__all__:
        assert len(getattr(gan.diversity, name).__doc__) > 80, name
    assert len(gan.diversity.__doc__) > 80


def test_gdpp_is_the_library_loss_and_trains_the_generator():
    from divergences.dpp import gdpp_loss
    from gan.diversity import gdpp

    g = torch.Generator().manual_seed(3)
    real = torch.randn(8, 5, generator=g, dtype=torch.float64)
    fake = torch.randn(8, 5, generator=g, dtype=torch.float64, requires_grad=True)
    value = gdpp(real, fake)
    assert float(value.detach()) == float(gdpp_loss(real, fake.detach())) and float(value.detach()) > 0
    (grad,) = torch.autograd.grad(value, fake)
    assert torch.all(torch.isfinite(grad)) and float(grad.abs().sum()) > 0
    assert float(gdpp(real, real.clone())) == pytest.approx(0.0, abs=1e-12)
