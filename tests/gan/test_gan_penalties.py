"""gan.penalties on critics with closed-form gradients: linear critics w.x (gradient w
everywhere) and x -> |x|^2 / 2 (gradient x), on image-shaped batches (N, C, H, W).
Per-sample norms are checked against two known bugs of WGAN-GP ports, written here as
local wrong implementations that the same test rejects: one norm over the whole
batch, and a norm over the channel axis only. Also: the penalty trains the critic
(create_graph), and bad input."""

import math

import pytest

torch = pytest.importorskip("torch")

from gan import penalties  # noqa: E402

# the penalties of parameter-free test critics still carry a graph (through x)
pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True:UserWarning")

DT = torch.float64
SHAPE = (5, 3, 4, 4)  # N, C, H, W


def _linear(w):
    return lambda x: (x * w).flatten(1).sum(dim=1)


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(SHAPE, dtype=DT, generator=g), torch.randn(SHAPE, dtype=DT, generator=g)


W = 0.1 * torch.arange(1.0, 1.0 + math.prod(SHAPE[1:]), dtype=DT).reshape(SHAPE[1:]) / 10
NORM_W = float(torch.linalg.vector_norm(W))


def _gp_batch_global(critic, real, fake, lam=10.0):
    """Wrong: one norm of the gradient of the whole batch."""
    x = (0.5 * real + 0.5 * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return lam * (g.norm() - 1) ** 2


def _gp_channel_norm(critic, real, fake, lam=10.0):
    """Wrong: norm over dim=1 only (per pixel), a bug of ports written for (N, D) inputs."""
    x = (0.5 * real + 0.5 * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return lam * ((g.norm(2, dim=1) - 1) ** 2).mean()


def test_gradient_penalty_on_a_linear_critic_is_exact_and_per_sample():
    real, fake = _data()
    critic = _linear(W)
    expected = 10 * (NORM_W - 1) ** 2
    assert NORM_W > 1.5  # far from the target: the wrong forms differ
    value = float(penalties.gradient_penalty(critic, real, fake))
    assert value == pytest.approx(expected, rel=1e-13)
    for wrong in (_gp_batch_global, _gp_channel_norm):
        assert float(wrong(critic, real, fake)) != pytest.approx(expected, rel=1e-3), wrong.__name__


def test_gradient_penalty_per_sample_on_a_quadratic_critic_with_given_alpha():
    real, fake = _data(1)
    alpha = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=DT)
    critic = lambda x: 0.5 * (x**2).flatten(1).sum(dim=1)  # noqa: E731
    xhat = alpha[:, None, None, None] * real + (1 - alpha[:, None, None, None]) * fake
    norms = torch.linalg.vector_norm(xhat.flatten(1), dim=1)  # grad = xhat
    for lam, target in ((10.0, 1.0), (1.0, 0.0), (3.0, 2.0)):
        got = penalties.gradient_penalty(critic, real, fake, lam=lam, target=target, alpha=alpha)
        assert float(got.detach()) == pytest.approx(float(lam * ((norms - target) ** 2).mean()), rel=1e-13)
        got = penalties.lipschitz_penalty(critic, real, fake, lam=lam, target=target, alpha=alpha)
        assert float(got.detach()) == pytest.approx(float(lam * (torch.relu(norms - target) ** 2).mean()), rel=1e-13)
    # one alpha per sample, seeded: the same generator gives the same value
    a = penalties.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    b = penalties.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(3))
    assert float(a.detach()) == float(b.detach())


def test_lipschitz_penalty_is_one_sided():
    real, fake = _data(2)
    small = W / (2 * NORM_W)  # |w| = 1/2
    assert float(penalties.lipschitz_penalty(_linear(small), real, fake)) == 0.0
    assert float(penalties.gradient_penalty(_linear(small), real, fake)) == pytest.approx(10 * 0.25, rel=1e-13)
    assert float(penalties.lipschitz_penalty(_linear(W), real, fake)) == pytest.approx(10 * (NORM_W - 1) ** 2, rel=1e-13)


def test_r1_r2_zero_centred_per_sample():
    real, fake = _data(3)
    quad = lambda x: 0.5 * (x**2).flatten(1).sum(dim=1)  # noqa: E731
    sq_r = (real.flatten(1) ** 2).sum(dim=1)
    sq_f = (fake.flatten(1) ** 2).sum(dim=1)
    assert float(penalties.r1(quad, real).detach()) == pytest.approx(float(5 * sq_r.mean()), rel=1e-13)
    assert float(penalties.r2(quad, fake, gamma=1.0).detach()) == pytest.approx(float(0.5 * sq_f.mean()), rel=1e-13)
    assert float(penalties.r1(_linear(W), real, gamma=2.0)) == pytest.approx(NORM_W**2, rel=1e-13)


@pytest.mark.parametrize("k, p", [(2.0, 6.0), (1.0, 3.0), (0.5, 2.5)])
def test_wdiv_penalty_closed_form_without_a_sqrt(k, p):
    real, _ = _data(4)
    assert float(penalties.wdiv_penalty(_linear(W), real, k=k, p=p)) == pytest.approx(k * NORM_W**p, rel=1e-12)
    quad = lambda x: 0.5 * (x**2).flatten(1).sum(dim=1)  # noqa: E731
    sq = (real.flatten(1) ** 2).sum(dim=1)
    assert float(penalties.wdiv_penalty(quad, real, k=k, p=p)) == pytest.approx(float(k * (sq ** (p / 2)).mean()), rel=1e-12)
    # a zero gradient: value 0 and a finite (zero) gradient for the critic, no NaN from a sqrt
    w = torch.zeros(SHAPE[1:], dtype=DT, requires_grad=True)
    out = penalties.wdiv_penalty(_linear(w), real, k=k, p=p)
    (gw,) = torch.autograd.grad(out, w)
    assert float(out) == 0.0 and torch.equal(gw, torch.zeros_like(gw))


def test_penalties_train_the_critic():
    real, fake = _data(5)
    w = W.clone().requires_grad_(True)
    critic = _linear(w)
    # d/dw lam (|w| - 1)^2 = 2 lam (|w| - 1) w / |w|
    (g,) = torch.autograd.grad(penalties.gradient_penalty(critic, real, fake), w)
    assert torch.allclose(g, 20 * (NORM_W - 1) * W / NORM_W, rtol=1e-12, atol=0)
    (g,) = torch.autograd.grad(penalties.r1(critic, real, gamma=1.0), w)  # d/dw |w|^2 / 2 = w
    assert torch.allclose(g, W, rtol=1e-12, atol=0)
    (g,) = torch.autograd.grad(penalties.wdiv_penalty(critic, real, k=1.0, p=4.0), w)  # 4 |w|^2 w
    assert torch.allclose(g, 4 * NORM_W**2 * W, rtol=1e-12, atol=0)
    # zero gradient norm: no NaN through the norm's square root
    z = torch.zeros(SHAPE[1:], dtype=DT, requires_grad=True)
    (g,) = torch.autograd.grad(penalties.gradient_penalty(_linear(z), real, fake), z)
    assert torch.isfinite(g).all()


def test_bad_input():
    real, fake = _data(6)
    critic = _linear(W)
    with pytest.raises(ValueError, match="same shape"):
        penalties.gradient_penalty(critic, real, fake[:3])
    with pytest.raises(ValueError, match="lam"):
        penalties.gradient_penalty(critic, real, fake, lam=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        penalties.gradient_penalty(critic, real, fake, alpha=torch.ones(3, dtype=DT))
    with pytest.raises(ValueError, match="p must be > 1"):
        penalties.wdiv_penalty(critic, real, p=1.0)
    with pytest.raises(ValueError, match="k must be"):
        penalties.wdiv_penalty(critic, real, k=0.0)
    with pytest.raises(ValueError, match="gamma"):
        penalties.r1(critic, real, gamma=float("nan"))
    with pytest.raises(ValueError, match=r"critic output on real must have shape \(5,\)"):
        penalties.r1(lambda x: x.flatten(1), real)
    with pytest.raises(ValueError, match="batch axis"):
        penalties.r1(critic, torch.zeros((), dtype=DT))
    with pytest.raises(TypeError, match="torch.Tensor"):
        penalties.r2(critic, [1.0, 2.0])


def test_norms_from_squares_are_square_roots_within_sqrt_tiny():
    sq = torch.tensor([0.0, 1e-310, 1e-200, 2.25, 1e300], dtype=torch.float64)
    out = penalties.norms_from_squares(sq)
    tiny = torch.finfo(torch.float64).tiny
    assert torch.all((out - sq.sqrt()).abs() <= tiny**0.5)
    assert torch.equal(out[2:], sq[2:].sqrt())  # exact once ||g||^2 >> tiny


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_norms_from_squares_have_finite_derivatives_at_a_zero_gradient(dtype):
    # rows: a zero gradient (a dead ReLU critic), one whose square underflows, an ordinary one
    g = torch.tensor([[0.0, 0.0], [1e-30, 0.0], [3.0, 4.0]], dtype=dtype, requires_grad=True)
    norms = penalties.norms_from_squares(g.pow(2).sum(dim=1))
    (d1,) = torch.autograd.grad(((norms - 1) ** 2).sum(), g, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), g)
    assert torch.isfinite(d1).all() and torch.isfinite(d2).all()
    assert torch.equal(d1[0].detach(), torch.zeros(2, dtype=dtype))
    expected = 2 * (5 - 1) * torch.tensor([3.0, 4.0], dtype=dtype) / 5  # d (|g| - 1)^2 / dg
    torch.testing.assert_close(d1[2].detach(), expected)
