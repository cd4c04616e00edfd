"""gan.train: the single-loss step's gradients equal the alternating step's, n_critic
and TTUR bookkeeping, and any gan.GANLoss is accepted."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import divergences  # noqa: E402
import gan  # noqa: E402
from gan import train  # noqa: E402

DT = torch.float64


def _mlp(d_in, d_out, seed, hidden=8):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(d_in, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, d_out)
    ).to(DT)


def _grads(module):
    return [p.grad.clone() for p in module.parameters()]


def _data(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, dtype=DT, generator=g) + 1.0, torch.randn(n, 3, dtype=DT, generator=g)


@pytest.mark.parametrize("name", ["ns-sgan", "wgan-gp", "rahinge", "gan-qp", "f-gan:kl"])
def test_single_loss_gradients_equal_the_alternating_gradients(name):
    real, z = _data()
    loss = gan.loss(name)
    # the alternating step with n_critic = 1, computed without stepping (lr = 0)
    G, D = _mlp(3, 2, 1), _mlp(2, 1, 2)
    torch.manual_seed(7)  # the same interpolation weights for wgan-gp
    train.alternating_step(G, D, loss, real, z, torch.optim.SGD(G.parameters(), lr=0.0),
                           torch.optim.SGD(D.parameters(), lr=0.0))
    g_alt, d_alt = _grads(G), _grads(D)
    # the single loss, one backward pass
    G2, D2 = _mlp(3, 2, 1), _mlp(2, 1, 2)
    torch.manual_seed(7)
    L, parts = train.single_loss(G2, D2, loss, real, z)
    L.backward()
    for a, b in zip(g_alt + d_alt, _grads(G2) + _grads(D2)):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-14), name
    # and each is the gradient of its own loss alone (not of the sum)
    G3, D3 = _mlp(3, 2, 1), _mlp(2, 1, 2)
    torch.manual_seed(7)
    fake = G3(z)
    gd = torch.autograd.grad(loss.critic(D3, real, fake), list(D3.parameters()))
    gg = torch.autograd.grad(loss.generator(D3, real, fake), list(G3.parameters()))
    for a, b in zip(list(gg) + list(gd), _grads(G2) + _grads(D2)):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-14), name
    assert float(L.detach()) == pytest.approx(float(parts.critic + parts.generator), rel=1e-14)
    # the generator's loss would have given the critic a nonzero gradient without the stop-gradient
    leak = torch.autograd.grad(loss.generator(D3, real, G3(z)), list(D3.parameters()), allow_unused=True)
    assert any(g is not None and float(g.abs().sum()) > 0 for g in leak)


def test_ogan_single_loss_gradients_equal_the_alternating_gradients():
    # O-GAN: the critic is an encoder (code of the latent's dimension), and both losses
    # receive the z that made the fakes (the correlation term reaches both networks)
    real, z = _data(4)
    loss = gan.diversity.ogan_loss("wgan", lam=0.5)
    G, D = _mlp(3, 2, 1), _mlp(2, 3, 2)
    train.alternating_step(G, D, loss, real, z, torch.optim.SGD(G.parameters(), lr=0.0),
                           torch.optim.SGD(D.parameters(), lr=0.0))
    g_alt, d_alt = _grads(G), _grads(D)
    G2, D2 = _mlp(3, 2, 1), _mlp(2, 3, 2)
    L, _ = train.single_loss(G2, D2, loss, real, z)
    L.backward()
    for a, b in zip(g_alt + d_alt, _grads(G2) + _grads(D2)):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-14)
    # by hand: wgan on the code's mean, minus lam times the mean Pearson correlation
    G3, D3 = _mlp(3, 2, 1), _mlp(2, 3, 2)
    fake = G3(z)

    def rho(code):
        zc, ec = z - z.mean(1, keepdim=True), code - code.mean(1, keepdim=True)
        return (zc * ec).sum(1) / (zc.norm(dim=1) * ec.norm(dim=1))

    critic_loss = D3(fake.detach()).mean() - D3(real).mean() - 0.5 * rho(D3(fake.detach())).mean()
    generator_loss = -D3(fake).mean() - 0.5 * rho(D3(fake)).mean()
    gd = torch.autograd.grad(critic_loss, list(D3.parameters()))
    gg = torch.autograd.grad(generator_loss, list(G3.parameters()))
    for a, b in zip(list(gg) + list(gd), g_alt + d_alt):
        assert torch.allclose(a, b, rtol=1e-11, atol=1e-13)


def test_single_loss_step_steps_both_networks_with_one_or_two_optimisers():
    real, z = _data(1)
    for shared in (False, True):
        G, D = _mlp(3, 2, 3), _mlp(2, 1, 4)
        G0, D0 = [p.detach().clone() for p in G.parameters()], [p.detach().clone() for p in D.parameters()]
        L, _ = train.single_loss(_mlp(3, 2, 3), _mlp(2, 1, 4), gan.loss("hinge"), real, z)
        if shared:
            opt = torch.optim.SGD([*G.parameters(), *D.parameters()], lr=0.1)
            out = train.single_loss_step(G, D, gan.loss("hinge"), real, z, opt, opt)
        else:
            out = train.single_loss_step(G, D, gan.loss("hinge"), real, z, torch.optim.SGD(G.parameters(), lr=0.1),
                                         torch.optim.SGD(D.parameters(), lr=0.2))
        lr_d = 0.1 if shared else 0.2
        for p, p0 in zip(G.parameters(), G0):
            assert torch.allclose(p.detach(), p0 - 0.1 * p.grad, rtol=1e-13, atol=1e-15)
        for p, p0 in zip(D.parameters(), D0):
            assert torch.allclose(p.detach(), p0 - lr_d * p.grad, rtol=1e-13, atol=1e-15)
        assert float(out.critic + out.generator) == pytest.approx(float(L.detach()), rel=1e-13)


def test_alternating_step_takes_n_critic_updates_then_one_generator_update():
    # a linear critic under wgan: its gradient E fake - E real does not depend on w,
    # so n_critic SGD steps move w by exactly n_critic * lr * (E real - E fake)
    real, z = _data(2)
    G = torch.nn.Linear(3, 2).to(DT)
    D = torch.nn.Linear(2, 1).to(DT)
    w0 = D.weight.detach().clone()
    with torch.no_grad():
        fake_mean = G(z).mean(dim=0)
    calls = {"real": 0, "z": 0}

    def draw_real():
        calls["real"] += 1
        return real

    def draw_z():
        calls["z"] += 1
        return z

    c_lr, g_lr = 0.3, 0.1  # TTUR
    out = train.alternating_step(G, D, gan.loss("wgan"), draw_real, draw_z,
                                 torch.optim.SGD(G.parameters(), lr=g_lr), torch.optim.SGD(D.parameters(), lr=c_lr),
                                 n_critic=3)
    expected_w = w0 + 3 * c_lr * (real.mean(dim=0) - fake_mean)
    assert torch.allclose(D.weight.detach(), expected_w, rtol=1e-13)
    assert calls == {"real": 4, "z": 4}  # fresh batches for each of 3 + 1 updates
    # the generator's gradient is taken with the updated critic: d/dW_G of -E w.G(z)
    assert torch.allclose(G.weight.grad, -expected_w.T @ z.mean(dim=0, keepdim=True), rtol=1e-13)
    assert out.critic.requires_grad is False and out.generator.requires_grad is False
    # the last critic loss is E w.fake - E w.real at w after two updates
    delta = real.mean(dim=0) - fake_mean
    assert float(out.critic) == pytest.approx(float(-(w0 + 2 * c_lr * delta) @ delta), rel=1e-12)


def test_alternating_step_leaves_the_critic_gradient_of_its_own_loss():
    real, z = _data(3)
    G, D = _mlp(3, 2, 5), _mlp(2, 1, 6)
    train.alternating_step(G, D, gan.loss("ns-sgan"), real, z, torch.optim.SGD(G.parameters(), lr=0.0),
                           torch.optim.SGD(D.parameters(), lr=0.0))
    expected = torch.autograd.grad(gan.loss("ns-sgan").critic(D, real, G(z)), list(D.parameters()))
    for p, e in zip(D.parameters(), expected):
        assert torch.allclose(p.grad, e, rtol=1e-13, atol=1e-15)


def test_single_loss_on_a_spectrally_normalised_critic():
    real, z = _data(4)
    G, D = _mlp(3, 2, 7), gan.stabilizers.spectral_normalize(_mlp(2, 1, 8))
    D.eval()  # no power-iteration update between the calls
    L, _ = train.single_loss(G, D, gan.loss("wgan"), real, z)
    L.backward()
    expected = torch.autograd.grad(gan.loss("wgan").critic(D, real, G(z)), list(D.parameters()))
    for p, e in zip(D.parameters(), expected):
        assert torch.allclose(p.grad, e, rtol=1e-12, atol=1e-15)


def test_bad_input():
    real, z = _data()
    G, D = _mlp(3, 2, 0), _mlp(2, 1, 0)
    opt = torch.optim.SGD([*G.parameters(), *D.parameters()], lr=0.1)
    with pytest.raises(ValueError, match="n_critic"):
        train.alternating_step(G, D, gan.loss("wgan"), real, z, opt, opt, n_critic=0)
    with pytest.raises(TypeError, match="loss must be a gan.Loss"):
        train.alternating_step(G, D, "wgan", real, z, opt, opt)
    with pytest.raises(TypeError, match="critic must be a torch.nn.Module"):
        train.single_loss(G, lambda x: x[:, 0], gan.loss("wgan"), real, z)
    with pytest.raises(TypeError, match="real must be"):
        train.single_loss_step(G, D, gan.loss("wgan"), lambda: 3, z, opt, opt)


def test_public_names_are_documented():
    for name in train.__all__:
        assert len(getattr(train, name).__doc__) > 80, name
    assert len(train.__doc__) > 80
