"""gan losses checked at the optimal critic against the divergence each one estimates
(sgan, every f-gan kind, wgan, wgan-div, gan-qp), relativistic losses by hand, the
registry and bad input. The critic is a lookup table on a small discrete support or
an analytic function; P and Q are empirical (samples repeated by their counts), so the
batch mean is the exact expectation."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import divergences  # noqa: E402
import gan  # noqa: E402

DT = torch.float64

# P and Q on three points with positive mass (ratios between 1/2 and 5/2)
SUPPORT = np.array([0.0, 1.0, 3.0])
COUNTS_P = np.array([2, 3, 5])
COUNTS_Q = np.array([4, 4, 2])
P, Q = COUNTS_P / 10, COUNTS_Q / 10


def _samples(counts, support=SUPPORT):
    """The empirical measure as a batch (N, 1): each point repeated by its count."""
    return torch.tensor(np.repeat(support, counts), dtype=DT)[:, None]


def _table(values, support=SUPPORT):
    """A critic that looks its output up by the nearest support point."""
    z = torch.tensor(support, dtype=DT)
    v = torch.as_tensor(np.asarray(values, dtype=float), dtype=DT)

    def critic(x):
        idx = torch.argmin((x.reshape(x.shape[0], -1)[:, :1] - z[None, :]).abs(), dim=1)
        return v[idx]

    return critic


def _inverse(fn, t, lo=-40.0, hi=40.0):
    """v with fn(v) = t for a monotone fn (the f-GAN activations; 1 - e^v decreases),
    by bisection (float64)."""
    sign = 1.0 if float(fn(np.array(hi))) > float(fn(np.array(lo))) else -1.0
    lo, hi = np.full_like(t, lo), np.full_like(t, hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        up = sign * (np.asarray(fn(mid)) - t) < 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return (lo + hi) / 2


REAL, FAKE = _samples(COUNTS_P), _samples(COUNTS_Q)


# --------------------------------------------------------------- at the optimum

def test_sgan_critic_loss_at_the_optimal_discriminator_is_log4_minus_2js():
    # D* = p/(p+q): logit log(p/q); divergences' js is (KL(p|m) + KL(q|m))/2 <= log 2
    critic = _table(np.log(P / Q))
    js = float(divergences.f_divergence(P, Q, "js"))
    value = float(gan.loss("sgan").critic(critic, REAL, FAKE))
    assert value == pytest.approx(math.log(4) - 2 * js, rel=1e-13)
    # and no other discriminator does better (lower critic loss)
    for shift in (-0.3, 0.2):
        assert float(gan.loss("sgan").critic(_table(np.log(P / Q) + shift), REAL, FAKE)) > value
    # ns-sgan shares the critic loss
    assert float(gan.loss("ns-sgan").critic(critic, REAL, FAKE)) == value


def _fgan_names():
    return [n for n in gan.LOSSES if n.startswith("f-gan:") and n != "f-gan:alpha"]


@pytest.mark.parametrize("name", _fgan_names())
def test_fgan_critic_loss_at_the_optimal_critic_is_minus_the_f_divergence(name):
    spec = divergences.FDIVERGENCES[name.split(":", 1)[1]]
    T = spec.optimal_critic(P / Q)  # f'(p/q), inside the activation's range
    v = _inverse(spec.activation, T)
    assert np.allclose(spec.activation(v), T, rtol=1e-12, atol=1e-12)
    value = float(gan.loss(name).critic(_table(v), REAL, FAKE))
    expected = float(divergences.f_divergence(P, Q, spec))
    assert -value == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # any other critic gives a lower bound (a larger loss)
    assert float(gan.loss(name).critic(_table(v + np.array([0.1, -0.2, 0.05])), REAL, FAKE)) >= value - 1e-12


@pytest.mark.parametrize("alpha", [-1.0, 0.5, 2.0, 3.0])
def test_fgan_alpha_at_the_optimal_critic(alpha):
    spec = divergences.alpha_divergence(alpha)
    v = _inverse(spec.activation, spec.optimal_critic(P / Q))
    value = float(gan.loss("f-gan:alpha", alpha=alpha).critic(_table(v), REAL, FAKE))
    assert -value == pytest.approx(float(divergences.f_divergence(P, Q, spec)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", _fgan_names())
def test_fgan_stable_forms_match_the_registry(name):
    spec = divergences.FDIVERGENCES[name.split(":", 1)[1]]
    v = torch.linspace(-4, 4, 17, dtype=DT)
    critic = lambda x: x[:, 0]  # noqa: E731
    x = v[:, None]
    loss = gan.loss(name)
    expected = float(torch.mean(spec.conjugate(spec.activation(v))) - torch.mean(spec.activation(v)))
    assert float(loss.critic(critic, x, x)) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert float(loss.generator(critic, x, x)) == pytest.approx(-float(torch.mean(spec.activation(v))), rel=1e-12, abs=1e-12)
    saddle = gan.loss(name, generator="saddle")
    assert float(saddle.generator(critic, x, x)) == pytest.approx(
        -float(torch.mean(spec.conjugate(spec.activation(v)))), rel=1e-12, abs=1e-12)
    # no overflow to NaN for large logits where the divergence keeps them finite
    big = torch.tensor([[-60.0], [60.0]], dtype=DT)
    assert torch.isfinite(loss.critic(critic, big, big)), name


def test_wgan_at_the_exact_optimal_potential_is_minus_w1():
    M = np.abs(SUPPORT[:, None] - SUPPORT[None, :])
    res = divergences.solve(M, P, Q)
    T = -np.asarray(res.g)  # the c-transformed potential: 1-Lipschitz for a metric cost
    assert float(divergences.lipschitz_constant(T, SUPPORT)) <= 1 + 1e-12
    value = float(gan.loss("wgan").critic(_table(T), REAL, FAKE))
    assert -value == pytest.approx(float(res.value), rel=1e-12, abs=1e-14)
    w1 = float(divergences.wasserstein_1d(SUPPORT, SUPPORT, P, Q))  # the closed form agrees
    assert -value == pytest.approx(w1, rel=1e-12, abs=1e-14)
    assert float(divergences.kantorovich_rubinstein(T, T, P, Q)) == pytest.approx(-value, rel=1e-12)


def _wdiv_critic(slopes):
    """A piecewise-linear 1-D critic with slope slopes[i] on [i, i + 1]."""
    s = torch.tensor(slopes, dtype=DT)
    knots = torch.arange(len(slopes), dtype=DT)

    def critic(x):
        return (torch.clamp(x[:, :1] - knots[None, :], 0.0, 1.0) * s[None, :]).sum(dim=1)

    return critic


@pytest.mark.parametrize("k, p", [(2.0, 6.0), (1.0, 2.0), (0.5, 3.0)])
def test_wgan_div_at_the_optimal_1d_critic_is_minus_the_wasserstein_divergence(k, p):
    # P, Q on {0, ..., 4}; u uniform on [0, 4], represented exactly by the gap midpoints
    # (the optimal critic is linear on each unit gap)
    support = np.arange(5.0)
    cp, cq = np.array([1, 2, 0, 1, 0]), np.array([0, 1, 1, 0, 2])
    real, fake = _samples(cp, support), _samples(cq, support)
    Fp, Fq = np.cumsum(cp / cp.sum())[:-1], np.cumsum(cq / cq.sum())[:-1]  # CDFs on each gap
    h, L = Fq - Fp, 4.0
    slopes = np.sign(h) * (L * np.abs(h) / (k * p)) ** (1 / (p - 1))
    midpoints = lambda r, f: torch.arange(4, dtype=DT)[:, None] + 0.5  # noqa: E731
    loss = gan.loss("wgan-div", k=k, p=p, sample=midpoints)
    value = float(loss.critic(_wdiv_critic(slopes), real, fake))
    expected = float(divergences.wasserstein_divergence_1d(
        np.repeat(support, cp), np.repeat(support, cq), k=k, p=p, support=(0.0, 4.0)))
    assert -value == pytest.approx(expected, rel=1e-12)
    # another critic does worse
    assert float(loss.critic(_wdiv_critic(1.1 * slopes), real, fake)) > value


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_gan_qp_at_the_optimal_critic_is_minus_the_qp_divergence(norm):
    # two points in R^3: a single-input critic reaches the optimal antisymmetric part
    x0, x1 = np.zeros(3), np.array([1.0, -2.0, 0.5])
    d = np.abs(x1 - x0).mean() if norm == "l1" else np.sqrt(((x1 - x0) ** 2).mean())
    D = np.array([[0.0, d], [d, 0.0]])
    a, b = np.array([0.75, 0.25]), np.array([0.4, 0.6])
    lam = 10.0
    A = lam * d * (a[0] * b[1] - a[1] * b[0]) / (a[0] * b[1] + a[1] * b[0])  # T(x0) - T(x1)
    pts = torch.tensor(np.stack([x0, x1]), dtype=DT)

    def critic(x):
        return torch.where((x - pts[1]).abs().sum(dim=1) < 1e-12, 0.0, A).to(DT)

    # every (real, fake) pair of 4 real samples (a) and 5 fake samples (b), by batch index
    ir, jf = np.meshgrid(np.repeat([0, 1], [3, 1]), [0, 0, 1, 1, 1], indexing="ij")
    assert np.allclose(b, [0.4, 0.6])
    real, fake = pts[ir.ravel()], pts[jf.ravel()]
    value = float(gan.loss("gan-qp", norm=norm).critic(critic, real, fake))
    assert -value == pytest.approx(float(divergences.qp_divergence(a, b, D, lam=lam)), rel=1e-12)
    # generator: E[T(x_r) - T(x_f)]
    T = lambda x: critic(x)  # noqa: E731
    assert float(gan.loss("gan-qp").generator(critic, real, fake)) == pytest.approx(float((T(real) - T(fake)).mean()))


# ------------------------------------------------------------------ by hand

def _fixed(values):
    """A critic returning the given scores, in order (a batch of that length)."""
    v = torch.tensor(values, dtype=DT)
    return lambda x: v + 0 * x[:, 0]


def _sp(x):
    return math.log1p(math.exp(x))


def test_relativistic_losses_by_hand():
    r, f = [1.0, 3.0], [0.0, -2.0]
    x = torch.zeros(2, 1, dtype=DT)
    scores = {"real": r, "fake": f}

    def critic(z):  # real batch is zeros, fake batch is ones
        return torch.tensor(scores["real"] if float(z[0, 0]) == 0 else scores["fake"], dtype=DT)

    real, fake = x, x + 1
    mr, mf = sum(r) / 2, sum(f) / 2  # 2 and -1
    dr, df = [s - mf for s in r], [s - mr for s in f]  # [2, 4], [-2, -4]
    m = lambda xs: sum(xs) / len(xs)  # noqa: E731
    expect = {
        "rsgan": (m([_sp(-(a - b)) for a, b in zip(r, f)]), m([_sp(-(b - a)) for a, b in zip(r, f)])),
        "rasgan": ((m([_sp(-t) for t in dr]) + m([_sp(t) for t in df])) / 2,
                   (m([_sp(t) for t in dr]) + m([_sp(-t) for t in df])) / 2),
        "ralsgan": ((m([(t - 1) ** 2 for t in dr]) + m([(t + 1) ** 2 for t in df])) / 2,
                    (m([(t + 1) ** 2 for t in dr]) + m([(t - 1) ** 2 for t in df])) / 2),
        "rahinge": ((m([max(0, 1 - t) for t in dr]) + m([max(0, 1 + t) for t in df])) / 2,
                    (m([max(0, 1 + t) for t in dr]) + m([max(0, 1 - t) for t in df])) / 2),
    }
    # ralsgan by hand: dr = [2, 4], df = [-2, -4]: critic ((1 + 9) / 2 + (1 + 9) / 2) / 2 = 5
    assert expect["ralsgan"][0] == 5.0
    for name, (c, g) in expect.items():
        L = gan.loss(name)
        assert float(L.critic(critic, real, fake)) == pytest.approx(c, rel=1e-14), name
        assert float(L.generator(critic, real, fake)) == pytest.approx(g, rel=1e-14), name


def test_classic_losses_by_hand():
    x = torch.zeros(2, 1, dtype=DT)
    r, f = [1.0, -0.5], [0.25, 2.0]

    def critic(z):
        return torch.tensor(r if float(z[0, 0]) == 0 else f, dtype=DT)

    real, fake = x, x + 1
    m = lambda xs: sum(xs) / len(xs)  # noqa: E731
    cases = {
        "sgan": (m([_sp(-t) for t in r]) + m([_sp(t) for t in f]), -m([_sp(t) for t in f])),
        "ns-sgan": (m([_sp(-t) for t in r]) + m([_sp(t) for t in f]), m([_sp(-t) for t in f])),
        "lsgan": (0.5 * m([(t - 1) ** 2 for t in r]) + 0.5 * m([t ** 2 for t in f]), 0.5 * m([(t - 1) ** 2 for t in f])),
        "hinge": (m([max(0, 1 - t) for t in r]) + m([max(0, 1 + t) for t in f]), -m(f)),
        "wgan": (m(f) - m(r), -m(f)),
    }
    for name, (c, g) in cases.items():
        L = gan.loss(name)
        assert float(L.critic(critic, real, fake)) == pytest.approx(c, rel=1e-14), name
        assert float(L.generator(critic, real, fake)) == pytest.approx(g, rel=1e-14), name
    # sgan in probabilities: -log D(x) - log(1 - D(x~)) with D = sigmoid
    s = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    assert cases["sgan"][0] == pytest.approx(m([-math.log(s(t)) for t in r]) + m([-math.log(1 - s(t)) for t in f]))


def test_logit_forms_stay_finite_where_probabilities_saturate():
    x = torch.zeros(1, 1, dtype=DT)
    for name in ("sgan", "ns-sgan", "rsgan", "rasgan", "f-gan:gan", "f-gan:js"):
        out = gan.loss(name).critic(lambda z: 200.0 * (1 - 2 * z[:, 0]), x, x + 1)  # real +200, fake -200
        assert torch.isfinite(out) and float(out) < 1e-60, name


def test_critic_loss_detaches_fake_and_generator_loss_reaches_it():
    w = torch.tensor([1.0, -2.0], dtype=DT, requires_grad=True)
    critic = lambda x: torch.tanh(x @ w)  # noqa: E731
    real = torch.randn(4, 2, dtype=DT, generator=torch.Generator().manual_seed(0))
    z = torch.ones(4, 2, dtype=DT, requires_grad=True)
    for name in ("sgan", "wgan-gp", "gan-qp", "rahinge", "f-gan:kl", "wgan-div"):
        fake = z * torch.tensor([2.0, -1.0], dtype=DT)  # a fresh graph each time
        L = gan.loss(name)
        L.critic(critic, real, fake).backward()
        assert z.grad is None, name
        assert w.grad is not None and torch.isfinite(w.grad).all(), name
        w.grad = None
        (gz,) = torch.autograd.grad(L.generator(critic, real, fake), z)
        assert torch.isfinite(gz).all() and float(gz.abs().sum()) > 0, name


def test_wgan_gp_loss_is_wgan_plus_penalty_on_a_linear_critic():
    w = torch.tensor([3.0, 4.0], dtype=DT)
    critic = lambda x: x @ w  # noqa: E731
    g = torch.Generator().manual_seed(1)
    real, fake = torch.randn(6, 2, dtype=DT, generator=g), torch.randn(6, 2, dtype=DT, generator=g)
    base = float(gan.loss("wgan").critic(critic, real, fake))
    assert float(gan.loss("wgan-gp").critic(critic, real, fake)) == pytest.approx(base + 10 * 16, rel=1e-13)
    assert float(gan.loss("wgan-gp", lam=2.0).critic(critic, real, fake)) == pytest.approx(base + 2 * 16, rel=1e-13)
    assert float(gan.loss("wgan-lp").critic(critic, real, fake)) == pytest.approx(base + 10 * 16, rel=1e-13)
    # wgan-div: k |w|^p whatever the sample
    for sample in ("real", "fake", "real+fake", "interpolates"):
        out = float(gan.loss("wgan-div", sample=sample).critic(critic, real, fake))
        assert out == pytest.approx(base + 2 * 5.0 ** 6, rel=1e-13), sample


# --------------------------------------------------------------- registry, input

def test_registry_lists_every_name_with_defaults_and_paper():
    names = set(gan.LOSSES)
    expected = {"sgan", "ns-sgan", "lsgan", "hinge", "wgan", "wgan-gp", "wgan-lp", "wgan-div", "gan-qp",
                "rsgan", "rasgan", "ralsgan", "rahinge", "f-gan:alpha"}
    expected |= {f"f-gan:{k}" for k in divergences.FDIVERGENCES}
    assert names == expected
    assert dict(gan.LOSSES["wgan-gp"].defaults) == {"lam": 10.0, "target": 1.0}
    assert dict(gan.LOSSES["wgan-div"].defaults)["k"] == 2.0 and gan.LOSSES["wgan-div"].defaults["p"] == 6.0
    assert gan.LOSSES["gan-qp"].defaults["lam"] == 10.0
    for name in names:
        info = gan.LOSSES[name]
        assert "arXiv" in info.reference or "Amari" in info.reference, name
        L = gan.loss(name) if name != "f-gan:alpha" else gan.loss(name, alpha=0.5)
        assert L.name == name and L.reference == info.reference
    with pytest.raises(TypeError):
        gan.loss("wgan-gp").hparams["lam"] = 1.0  # read-only


def test_bad_input():
    with pytest.raises(ValueError, match="known: sgan"):
        gan.loss("wgna")
    with pytest.raises(ValueError, match="lam"):
        gan.loss("wgan-gp", lam=0.0)
    with pytest.raises(ValueError, match="lambda_"):
        gan.loss("wgan-gp", lambda_=1.0)
    with pytest.raises(ValueError, match="p must be > 1"):
        gan.loss("wgan-div", p=1.0)
    with pytest.raises(ValueError, match="sample"):
        gan.loss("wgan-div", sample="noise")
    with pytest.raises(ValueError, match="norm"):
        gan.loss("gan-qp", norm="l3")
    with pytest.raises(ValueError, match="alpha"):
        gan.loss("f-gan:alpha")
    with pytest.raises(ValueError, match="alpha"):
        gan.loss("f-gan:alpha", alpha=1.0)
    with pytest.raises(ValueError, match="a and b"):
        gan.loss("lsgan", a=1.0)
    with pytest.raises(ValueError, match="generator"):
        gan.loss("f-gan:kl", generator="min")
    with pytest.raises(ValueError, match="c must be"):
        gan.clip_weights(torch.nn.Linear(2, 1), c=-1.0)
    x = torch.zeros(4, 2, dtype=DT)
    with pytest.raises(ValueError, match=r"critic output on (real|fake) must have shape \(4,\)"):
        gan.loss("wgan").critic(lambda z: z, x, x)  # (4, 2): one score per coordinate
    with pytest.raises(ValueError, match="same batch size"):
        gan.loss("rsgan").critic(lambda z: z[:, 0], x, x[:3])
    with pytest.raises(ValueError, match="same shape"):
        gan.loss("gan-qp").critic(lambda z: z[:, 0], x, x[:3])
    with pytest.raises(ValueError, match="same shape"):
        gan.loss("wgan-gp").critic(lambda z: z[:, 0], x, x[:3])
    with pytest.raises(TypeError, match="real must be a torch.Tensor"):
        gan.loss("wgan").critic(lambda z: z[:, 0], np.zeros((4, 2)), x)


def test_clip_weights():
    m = torch.nn.Linear(3, 2)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[0.5, -0.5, 0.001], [2.0, -0.02, 0.0]]))
        m.bias.copy_(torch.tensor([-1.0, 0.005]))
    assert gan.clip_weights(m) is m
    assert torch.equal(m.weight.detach(), torch.tensor([[0.01, -0.01, 0.001], [0.01, -0.01, 0.0]]))
    assert torch.equal(m.bias.detach(), torch.tensor([-0.01, 0.005]))


def test_public_names_are_documented():
    assert sorted(set(gan.__all__)) == gan.__all__
    for name in gan.__all__:
        doc = getattr(gan, name).__doc__
        assert doc and len(doc) > 80, name
    for name in gan.penalties.__all__:
        assert len(getattr(gan.penalties, name).__doc__) > 80, name


# ------------------------------------------------------------- non-finite scores

def _loss_of(name):
    return gan.loss(name, alpha=0.5) if name == "f-gan:alpha" else gan.loss(name)


@pytest.mark.parametrize("name", sorted(gan.LOSSES))
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_a_non_finite_score_makes_every_loss_nan(name, bad):
    # one rule for every loss: NaN, never a finite number (softplus(-inf) = 0 would hide it)
    x = torch.tensor([[0.0], [1.0], [2.0]], dtype=DT)
    critic = lambda z: torch.where(z[:, 0] == 1.0, torch.full_like(z[:, 0], bad), 0.3 * z[:, 0])  # noqa: E731
    L = _loss_of(name)
    good = x + 5.0
    assert torch.isnan(L.critic(critic, x, good)), name  # on the real batch
    assert torch.isnan(L.critic(critic, good, x)), name  # on the fake batch
    assert torch.isnan(L.generator(critic, good, x)), name
    with gan.detect_nonfinite():
        with pytest.raises(ValueError, match="NaN or inf scores on (real|fake)"):
            L.critic(critic, x, good)
        with pytest.raises(ValueError, match="NaN or inf scores on fake"):
            L.generator(critic, good, x)
    assert torch.isfinite(L.critic(critic, good, good + 1.0)), name  # the check is off again


def test_aliases_resolve_to_the_registered_names():
    assert gan.loss("ragan").name == "rasgan"
    assert gan.loss("WGAN_GP").name == "wgan-gp"
    assert gan.loss("vanilla").name == "ns-sgan" and gan.loss("least_squares").name == "lsgan"
    for alias, name in gan.losses.ALIASES.items():
        assert name in gan.LOSSES, alias
        assert alias not in gan.LOSSES, alias  # LOSSES lists each loss once
    with pytest.raises(ValueError, match="ALIASES"):
        gan.loss("wgan-xp")


@pytest.mark.parametrize("name", sorted(gan.LOSSES))
def test_no_loss_reads_a_value_back_to_the_host(name):
    # on the meta device every tensor has a shape and no data: a host read (bool(),
    # .item(), a data-dependent branch) raises, so a loss and its gradient that run
    # there synchronise nothing in a training step
    real, fake = torch.randn(8, 3, device="meta", dtype=DT), torch.randn(8, 3, device="meta", dtype=DT)
    D = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).to("meta", DT)
    L = _loss_of(name)
    c = L.critic(D, real, fake)
    assert c.device.type == "meta" and c.shape == ()
    torch.autograd.grad(c, list(D.parameters()), allow_unused=True)
    fake.requires_grad_(True)
    torch.autograd.grad(L.generator(D, real, fake), [fake])
    with gan.detect_nonfinite(), pytest.raises(RuntimeError, match="(?i)meta"):
        L.critic(D, real, fake)  # the opt-in check does read back


def test_the_training_steps_read_nothing_back():
    G, D = torch.nn.Linear(2, 3).to("meta"), torch.nn.Linear(3, 1).to("meta")
    g_opt, c_opt = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    real, z = torch.randn(8, 3, device="meta"), torch.randn(8, 2, device="meta")
    out = gan.train.alternating_step(G, D, gan.loss("wgan-gp"), real, z, g_opt, c_opt, n_critic=2)
    assert out.critic.device.type == "meta"
    gan.train.single_loss_step(G, D, gan.loss("rahinge"), real, z, g_opt, c_opt)


@pytest.mark.parametrize("name", ["wgan-gp", "wgan-lp", "wgan-div", "gan-qp"])
def test_penalties_leave_the_callers_tensors_alone(name):
    # the penalties differentiate through aliases: the caller's batches keep
    # requires_grad=False and no graph
    lin = torch.nn.Linear(2, 1).to(DT)
    real, fake = torch.randn(8, 2, dtype=DT), torch.randn(8, 2, dtype=DT)
    for sample in (("real", "fake", "real+fake", "interpolates") if name == "wgan-div" else (None,)):
        L = gan.loss(name, sample=sample) if sample else gan.loss(name)
        L.critic(lin, real, fake).backward()
        assert not real.requires_grad and not fake.requires_grad and real.grad_fn is None, (name, sample)
