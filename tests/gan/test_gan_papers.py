"""Each row of docs/gan_papers.md: our loss against a direct transcription of its
paper's equation, on random critic outputs and batches in float64, values and
gradients. Where we deliberately differ, the stated relation (a factor, a constant,
the option that gives the paper's form) is what is checked.

The transcriptions are written from the papers' equations in probabilities, logs
and norms as printed, not from our softplus forms."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import gan  # noqa: E402

DT = torch.float64
TOL = dict(rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ the harness


class _Critic(torch.nn.Module):
    """A small MLP critic; ``scale * tanh`` bounds its outputs so every Table 2
    conjugate is finite on them."""

    def __init__(self, d=3, seed=0, scale=None):
        super().__init__()
        torch.manual_seed(seed)
        self.net = torch.nn.Sequential(torch.nn.Linear(d, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).to(DT)
        with torch.no_grad():
            self.net[2].weight.mul_(4.0)  # outputs spread over a few units
        self.scale = scale

    def forward(self, x):
        out = self.net(x.reshape(x.shape[0], -1))[:, 0]
        return out if self.scale is None else self.scale * torch.tanh(out)


def _batches(n=12, m=12, d=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, dtype=DT, generator=g) + 0.5, torch.randn(m, d, dtype=DT, generator=g)


def _close(a, b, **tol):
    tol = tol or TOL
    assert torch.allclose(torch.as_tensor(a, dtype=DT), torch.as_tensor(b, dtype=DT), **tol), (a, b)


def _grads(value, inputs):
    return torch.autograd.grad(value, inputs, allow_unused=True, materialize_grads=True)


def check(L, paper_critic, paper_generator, *, n=12, m=12, scale=1.0, critic_scale=None, seed=0):
    """``paper = scale * ours`` for both players' losses, and the same for their
    gradients: the critic loss's in the critic's parameters, the generator
    loss's in the fake batch. ``paper_*`` take (D, real, fake)."""
    D = _Critic(seed=seed, scale=critic_scale)
    real, fake = _batches(n, m, seed=seed + 1)
    params = list(D.parameters())
    ours, paper = L.critic(D, real, fake), paper_critic(D, real, fake)
    _close(paper, scale * ours)
    for a, b in zip(_grads(paper, params), _grads(ours, params)):
        _close(a, scale * b)
    fake = fake.clone().requires_grad_(True)
    ours, paper = L.generator(D, real, fake), paper_generator(D, real, fake)
    _close(paper, scale * ours)
    (a,), (b,) = _grads(paper, [fake]), _grads(ours, [fake])
    _close(a, scale * b)


def sigmoid(t):
    return 1 / (1 + torch.exp(-t))


def E(t):
    return t.mean()


# ---------------------------------------------------------- standard, LS, hinge


def test_sgan_is_goodfellow_eq1():
    # min_G max_D E log D(x) + E log(1 - D(G(z))), D = sigmoid of the critic's logit
    def critic(D, x, y):
        return -(E(torch.log(sigmoid(D(x)))) + E(torch.log(1 - sigmoid(D(y)))))

    def generator(D, x, y):
        return E(torch.log(1 - sigmoid(D(y))))

    check(gan.loss("sgan"), critic, generator)


def test_ns_sgan_is_goodfellow_sec3_heuristic():
    # "train G to maximize log D(G(z))"
    def critic(D, x, y):
        return -(E(torch.log(sigmoid(D(x)))) + E(torch.log(1 - sigmoid(D(y)))))

    def generator(D, x, y):
        return -E(torch.log(sigmoid(D(y))))

    check(gan.loss("ns-sgan"), critic, generator)


def test_one_sided_label_smoothing_is_salimans_sec_3_4():
    # the real target 1 becomes alpha = 0.9 in the cross-entropy; fake targets stay 0
    alpha = 0.9

    def critic(D, x, y):
        p, q = sigmoid(D(x)), sigmoid(D(y))
        return -(E(alpha * torch.log(p) + (1 - alpha) * torch.log(1 - p)) + E(torch.log(1 - q)))

    for name, gen in (("sgan", lambda D, x, y: E(torch.log(1 - sigmoid(D(y))))),
                      ("ns-sgan", lambda D, x, y: -E(torch.log(sigmoid(D(y)))))):
        check(gan.loss(name, real_label=alpha), critic, gen)
    # lsgan, 0-1 coding: the real label b = 1 becomes 0.9
    check(gan.loss("lsgan", real_label=alpha),
          lambda D, x, y: 0.5 * E((D(x) - alpha) ** 2) + 0.5 * E(D(y) ** 2),
          lambda D, x, y: 0.5 * E((D(y) - 1) ** 2))
    # default off: the same loss as without the option
    D, (x, y) = _Critic(), _batches()
    assert torch.equal(gan.loss("sgan", real_label=1.0).critic(D, x, y), gan.loss("sgan").critic(D, x, y))


def test_lsgan_is_mao_eq2():
    a, b, c = -1.0, 1.0, 0.0  # the paper's eq. (8) coding, to exercise all three labels

    def critic(D, x, y):
        return 0.5 * E((D(x) - b) ** 2) + 0.5 * E((D(y) - a) ** 2)

    def generator(D, x, y):
        return 0.5 * E((D(y) - c) ** 2)

    check(gan.loss("lsgan", a=a, b=b, c=c), critic, generator)


def test_hinge_is_lim_ye_and_miyato():
    def critic(D, x, y):
        return E(torch.clamp(1 - D(x), min=0)) + E(torch.clamp(1 + D(y), min=0))

    check(gan.loss("hinge"), critic, lambda D, x, y: -E(D(y)))


# ------------------------------------------------------------------ Wasserstein


def test_wgan_is_arjovsky_algorithm1():
    # the critic maximises mean f(x) - mean f(g(z)); the generator minimises -mean f(g(z))
    check(gan.loss("wgan"), lambda D, x, y: -(E(D(x)) - E(D(y))), lambda D, x, y: -E(D(y)))


def _input_grad_norms(D, u):
    u = u.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(u).sum(), u, create_graph=True)
    return torch.linalg.vector_norm(g.reshape(g.shape[0], -1), dim=1)


def _seeded(L, seed):
    """``L``'s critic loss with the global generator seeded (the interpolation weights
    are drawn from it) and the same draw of eps ~ U[0, 1] per sample for the paper."""

    def ours(D, x, y):
        torch.manual_seed(seed)
        return L.critic(D, x, y)

    def eps(n):
        torch.manual_seed(seed)
        return torch.rand(n, dtype=DT)[:, None]

    return ours, eps


def _check_penalised(L, penalty, seed=7):
    ours, eps = _seeded(L, seed)

    def paper(D, x, y):
        e = eps(x.shape[0])
        x_hat = e * x + (1 - e) * y.detach()
        return E(D(y)) - E(D(x)) + penalty(_input_grad_norms(D, x_hat))

    D = _Critic()
    x, y = _batches()
    params = list(D.parameters())
    a, b = paper(D, x, y), ours(D, x, y)
    _close(a, b)
    for ga, gb in zip(_grads(paper(D, x, y), params), _grads(ours(D, x, y), params)):
        _close(ga, gb)


def test_wgan_gp_is_gulrajani_algorithm1():
    # L = D(x~) - D(x) + lambda (|grad D(x^)|_2 - 1)^2, x^ = eps x + (1 - eps) x~, eps ~ U[0, 1]
    _check_penalised(gan.loss("wgan-gp"), lambda g: 10 * E((g - 1) ** 2))


def test_wgan_lp_is_petzka():
    # lambda E max(0, |grad f(x^)| - 1)^2 on the same interpolates (some norms above 1)
    _check_penalised(gan.loss("wgan-lp", lam=3.0), lambda g: 3 * E(torch.clamp(g - 1, min=0) ** 2))


def test_wgan_div_is_wu_algorithm1_with_f_minus_d():
    # Wu et al.: L = E f(x) - E f(G(z)) + k E|grad f(x^)|^p minimised, f scoring real
    # samples low; ours is D = -f (real scores high), the same value
    k, p = 2.0, 6.0

    def paper(D, x, y, e):
        f = lambda u: -D(u)  # noqa: E731
        x_hat = e * x + (1 - e) * y.detach()
        return E(f(x)) - E(f(y)) + k * E(_input_grad_norms(f, x_hat) ** p)

    L = gan.loss("wgan-div")
    ours, eps = _seeded(L, 11)
    D, (x, y) = _Critic(), _batches()
    params = list(D.parameters())
    _close(paper(D, x, y, eps(x.shape[0])), ours(D, x, y))
    for ga, gb in zip(_grads(paper(D, x, y, eps(x.shape[0])), params), _grads(ours(D, x, y), params)):
        _close(ga, gb)


def test_wgan_div_real_and_fake_is_the_pytorch_gan_port():
    # sample="real+fake": k/2 (E|grad D(x)|^p + E|grad D(x~)|^p), Su's derivation and the
    # common ports (equal batch sizes)
    k, p = 2.0, 6.0
    paper = lambda D, x, y: E(D(y)) - E(D(x)) + k / 2 * (  # noqa: E731
        E(_input_grad_norms(D, x) ** p) + E(_input_grad_norms(D, y) ** p))
    check(gan.loss("wgan-div", sample="real+fake"), paper, lambda D, x, y: -E(D(y)))


# ----------------------------------------------------------------------- GAN-QP


def _qp_paper(norm):
    def critic(D, x, y):
        # max_T E[T(x_r, x_f) - T(x_f, x_r)] - E[(T(x_r, x_f) - T(x_f, x_r))^2 / (2 lam d(x_r, x_f))]
        t = D(x) - D(y)
        d = torch.linalg.vector_norm((x - y).reshape(x.shape[0], -1), ord=1 if norm == "l1" else 2, dim=1)
        return -(E(t) - E(t ** 2 / (2 * 10.0 * d)))

    return critic


@pytest.mark.parametrize("norm", ["l1", "l2"])
def test_gan_qp_is_su_eq_with_the_paper_norm(norm):
    # per_dimension=False: d is the L1 or L2 norm of x_r - x_f, as the paper writes it
    check(gan.loss("gan-qp", norm=norm, per_dimension=False), _qp_paper(norm),
          lambda D, x, y: E(D(x) - D(y)))


@pytest.mark.parametrize("norm, power", [("l1", 1.0), ("l2", 0.5)])
def test_gan_qp_default_divides_the_distance_like_the_official_code(norm, power):
    # default: the official code's mean over dimensions, d = |x_r - x_f|_1 / n_dim (l1)
    # or |x_r - x_f|_2 / sqrt(n_dim) (l2): the paper's loss with lam / n_dim^power
    n_dim = 3
    paper = _qp_paper(norm)
    L = gan.loss("gan-qp", norm=norm, lam=10.0 * n_dim ** power)
    check(L, paper, lambda D, x, y: E(D(x) - D(y)))


# ------------------------------------------------------------------ relativistic


def test_rsgan_is_jolicoeur_martineau_eq():
    # L_D = -E log sigmoid(C(x_r) - C(x_f)), L_G = -E log sigmoid(C(x_f) - C(x_r)), paired
    check(gan.loss("rsgan"), lambda D, x, y: -E(torch.log(sigmoid(D(x) - D(y)))),
          lambda D, x, y: -E(torch.log(sigmoid(D(y) - D(x)))))


def _ra(D, x, y):
    r, f = D(x), D(y)
    return r - E(f), f - E(r)


RA_PAPER = {
    "rasgan": (lambda dr, df: -E(torch.log(sigmoid(dr))) - E(torch.log(1 - sigmoid(df))),
               lambda dr, df: -E(torch.log(sigmoid(df))) - E(torch.log(1 - sigmoid(dr)))),
    "ralsgan": (lambda dr, df: E((dr - 1) ** 2) + E((df + 1) ** 2),
                lambda dr, df: E((df - 1) ** 2) + E((dr + 1) ** 2)),
    "rahinge": (lambda dr, df: E(torch.clamp(1 - dr, min=0)) + E(torch.clamp(1 + df, min=0)),
                lambda dr, df: E(torch.clamp(1 - df, min=0)) + E(torch.clamp(1 + dr, min=0))),
}


@pytest.mark.parametrize("name", sorted(RA_PAPER))
def test_relativistic_average_is_the_paper_halved(name):
    # the paper's sums; ours halves them (the reference code): paper = 2 ours, and
    # halve=False gives the paper's; batch means only, so unequal batch sizes work
    pc, pg = RA_PAPER[name]
    paper_c = lambda D, x, y: pc(*_ra(D, x, y))  # noqa: E731
    paper_g = lambda D, x, y: pg(*_ra(D, x, y))  # noqa: E731
    check(gan.loss(name), paper_c, paper_g, scale=2.0, n=12, m=7)
    check(gan.loss(name, halve=False), paper_c, paper_g, n=5, m=12)


def test_pairwise_relativistic_needs_equal_batches_and_says_why():
    D, (x, y) = _Critic(), _batches(12, 7)
    with pytest.raises(ValueError, match="same batch index"):
        gan.loss("rsgan").critic(D, x, y)


# -------------------------------------------------------------------------- f-GAN


class _LambertWExp(torch.autograd.Function):
    """W(e^s) by SciPy, with d/ds W(e^s) = W / (1 + W)."""

    @staticmethod
    def forward(ctx, s):
        from scipy.special import lambertw

        w = torch.as_tensor(np.real(lambertw(np.exp(s.detach().numpy()))), dtype=s.dtype)
        ctx.save_for_backward(w)
        return w

    @staticmethod
    def backward(ctx, grad):
        (w,) = ctx.saved_tensors
        return grad * w / (1 + w)


# Nowozin, Cseke and Tomioka 2016, Table 2: (output activation g_f, conjugate f*)
TABLE2 = {
    "tv": (lambda v: 0.5 * torch.tanh(v), lambda t: t),
    "kl": (lambda v: v, lambda t: torch.exp(t - 1)),
    "reverse_kl": (lambda v: -torch.exp(-v), lambda t: -1 - torch.log(-t)),
    "pearson": (lambda v: v, lambda t: 0.25 * t ** 2 + t),
    "neyman": (lambda v: 1 - torch.exp(v), lambda t: 2 - 2 * torch.sqrt(1 - t)),
    "hellinger": (lambda v: 1 - torch.exp(-v), lambda t: t / (1 - t)),
    "jeffreys": (lambda v: v, lambda t: (lambda w: w + 1 / w + t - 2)(_LambertWExp.apply(1 - t))),
    "js": (lambda v: math.log(2) - torch.log(1 + torch.exp(-v)), lambda t: -torch.log(2 - torch.exp(t))),
    "gan": (lambda v: -torch.log(1 + torch.exp(-v)), lambda t: -torch.log(1 - torch.exp(t))),
}

# ours = paper / factor (js: this library's JS is half of Nowozin's)
FACTOR = {"js": 2.0}


def _fgan_paper(g, fstar, saddle):
    # F = E_P g_f(V(x)) - E_Q f*(g_f(V(x))), the critic maximises (Nowozin eq. 6)
    critic = lambda D, x, y: -(E(g(D(x))) - E(fstar(g(D(y)))))  # noqa: E731
    if saddle:
        return critic, lambda D, x, y: -E(fstar(g(D(y))))
    return critic, lambda D, x, y: -E(g(D(y)))  # Sec. 3.2: maximise E_Q g_f(V(G(z)))


@pytest.mark.parametrize("kind", sorted(TABLE2))
@pytest.mark.parametrize("generator", ["heuristic", "saddle"])
def test_fgan_is_nowozin_table2(kind, generator):
    g, fstar = TABLE2[kind]
    pc, pg = _fgan_paper(g, fstar, generator == "saddle")
    check(gan.loss(f"f-gan:{kind}", generator=generator), pc, pg, scale=FACTOR.get(kind, 1.0), critic_scale=1.5)


def test_fgan_pearson_clamps_the_conjugate_below_minus_two():
    # f = (u - 1)^2 on u >= 0 only: f*(t) = t^2/4 + t for t >= -2 and -1 below (the
    # supremum sits at u = 0); clamp=False gives Table 2's t^2/4 + t everywhere
    g, fstar = TABLE2["pearson"]
    pc, pg = _fgan_paper(g, fstar, True)
    check(gan.loss("f-gan:pearson", clamp=False, generator="saddle"), pc, pg, critic_scale=6.0)
    clamped = lambda t: torch.where(t >= -2, fstar(t), -torch.ones_like(t))  # noqa: E731
    pc, pg = _fgan_paper(g, clamped, True)
    check(gan.loss("f-gan:pearson", generator="saddle"), pc, pg, critic_scale=6.0)


@pytest.mark.parametrize("alpha", [-1.0, 0.5, 2.0, 3.0])
def test_fgan_alpha_is_nowozin_table2(alpha):
    # alpha < 1: g = 1/(1 - alpha) - log(1 + e^-v); alpha > 1: g = v;
    # f*(t) = (1/alpha)(t(alpha - 1) + 1)^(alpha/(alpha - 1)) - 1/alpha where the base is > 0
    if alpha < 1:
        g = lambda v: 1 / (1 - alpha) - torch.log(1 + torch.exp(-v))  # noqa: E731
    else:
        g = lambda v: v  # noqa: E731
    fstar = lambda t: (t * (alpha - 1) + 1) ** (alpha / (alpha - 1)) / alpha - 1 / alpha  # noqa: E731
    for saddle in (False, True):
        pc, pg = _fgan_paper(g, fstar, saddle)
        L = gan.loss("f-gan:alpha", alpha=alpha, generator="saddle" if saddle else "heuristic")
        check(L, pc, pg, critic_scale=0.4)


def test_hellinger_activation_is_increasing_like_every_other():
    # a larger output means "more real" for every activation but Neyman's
    import divergences

    v = np.linspace(-3, 3, 13)
    for kind, spec in divergences.FDIVERGENCES.items():
        if kind == "neyman":  # 1 - e^v, unchanged
            assert np.all(np.diff(spec.activation(v)) < 0)
            continue
        assert np.all(np.diff(spec.activation(v)) > 0), kind


# -------------------------------------------------------------------- penalties


def test_gradient_and_lipschitz_penalties_with_given_weights():
    D, (x, y) = _Critic(), _batches()
    e = torch.rand(12, dtype=DT, generator=torch.Generator().manual_seed(2))
    norms = lambda: _input_grad_norms(D, e[:, None] * x + (1 - e[:, None]) * y)  # noqa: E731
    params = list(D.parameters())
    for ours, paper in ((gan.penalties.gradient_penalty(D, x, y, lam=4.0, alpha=e), 4 * E((norms() - 1) ** 2)),
                        (gan.penalties.lipschitz_penalty(D, x, y, lam=4.0, alpha=e),
                         4 * E(torch.clamp(norms() - 1, min=0) ** 2))):
        _close(ours, paper)
        for a, b in zip(_grads(ours, params), _grads(paper, params)):
            _close(a, b)


@pytest.mark.parametrize("which", ["r1", "r2"])
def test_r1_r2_are_mescheder_eq9_eq10(which):
    # R1 = gamma/2 E_{p_D} |grad D(x)|^2, R2 the same on p_theta
    D, (x, y) = _Critic(), _batches()
    batch = x if which == "r1" else y
    ours = getattr(gan.penalties, which)(D, batch, gamma=3.0)
    paper = 3.0 / 2 * E(_input_grad_norms(D, batch) ** 2)
    _close(ours, paper)
    params = list(D.parameters())
    for a, b in zip(_grads(ours, params), _grads(paper, params)):
        _close(a, b)


def test_wdiv_penalty_is_k_times_the_p_th_power_of_the_norm():
    D, (x, _) = _Critic(), _batches()
    ours = gan.penalties.wdiv_penalty(D, x, k=2.0, p=3.0)
    paper = 2.0 * E(_input_grad_norms(D, x) ** 3.0)
    _close(ours, paper)
    params = list(D.parameters())
    for a, b in zip(_grads(ours, params), _grads(paper, params)):
        _close(a, b)


# ------------------------------------------------------------ diversity terms


def test_feature_matching_is_salimans_sec_3_1():
    # |E_x f(x) - E_z f(G(z))|_2^2
    g = torch.Generator().manual_seed(4)
    a = torch.randn(10, 5, dtype=DT, generator=g)
    b = torch.randn(7, 5, dtype=DT, generator=g, requires_grad=True)
    ours, paper = gan.diversity.feature_matching(a, b), torch.sum((a.mean(0) - b.mean(0)) ** 2)
    _close(ours, paper)
    _close(*(_grads(ours, [b]) + _grads(paper, [b])))


def test_minibatch_discrimination_is_salimans_sec_3_2():
    # M_i = f(x_i) T, c_b(x_i, x_j) = exp(-|M_{i,b} - M_{j,b}|_L1), o(x_i)_b = sum_j c_b;
    # the paper's sum includes j = i (c = 1): ours excludes it unless include_self
    torch.manual_seed(5)
    layer = gan.diversity.MinibatchDiscrimination(4, num_kernels=3, kernel_dim=2, include_self=True, dtype=DT)
    x = torch.randn(6, 4, dtype=DT, requires_grad=True)
    M = (x @ layer.T).reshape(6, 3, 2)
    o = torch.stack([sum(torch.exp(-(M[i, b] - M[j, b]).abs().sum()) for j in range(6))
                     for i in range(6) for b in range(3)]).reshape(6, 3)
    paper = torch.cat([x, o], dim=1)
    ours = layer(x)
    _close(ours, paper)
    w = torch.randn(6, 7, dtype=DT)
    _close(*(_grads((ours * w).sum(), [x]) + _grads((paper * w).sum(), [x])))
    default = gan.diversity.MinibatchDiscrimination(4, num_kernels=3, kernel_dim=2, dtype=DT)
    default.T = layer.T
    _close(default(x), paper - torch.cat([torch.zeros(6, 4, dtype=DT), torch.ones(6, 3, dtype=DT)], dim=1))


def test_ogan_is_su_2019():
    # L_D = L_base(D) - lam E rho(z, E(G(z))), L_G likewise, rho the Pearson correlation
    # across the code's dimensions, D the code's mean
    torch.manual_seed(6)
    enc = torch.nn.Linear(3, 4).to(DT)
    z = torch.randn(9, 4, dtype=DT)
    real, fake = torch.randn(9, 3, dtype=DT), torch.randn(9, 3, dtype=DT, requires_grad=True)

    def rho(a, b):
        a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
        return (a * b).sum(1) / torch.sqrt((a * a).sum(1) * (b * b).sum(1))

    score = lambda x: enc(x).mean(1)  # noqa: E731
    L = gan.diversity.ogan_loss("wgan", lam=0.5)
    paper_c = E(score(fake.detach())) - E(score(real)) - 0.5 * E(rho(z, enc(fake.detach())))
    paper_g = -E(score(fake)) - 0.5 * E(rho(z, enc(fake)))
    ours_c, ours_g = L.critic(enc, real, fake, z), L.generator(enc, real, fake, z)
    _close(ours_c, paper_c)
    _close(ours_g, paper_g)
    params = list(enc.parameters())
    for a, b in zip(_grads(ours_c, params), _grads(paper_c, params)):
        _close(a, b)
    _close(*(_grads(ours_g, [fake]) + _grads(paper_g, [fake])))


def test_gdpp_structure_term_differs_from_the_official_sign_dependent_one():
    # Elfeki et al. (official code): 1e-4 mean (lam_f - lam_r)^2 - sum lam^_r <v_f, v_r>;
    # ours: the same magnitude term + sum lam^_r (1 - <v_f, v_r>^2), sign-invariant and
    # 0 at a match. Transcribed with NumPy's eigh on the cosine kernels (B < d:
    # distinct eigenvalues, eigenvectors defined up to sign)
    g = np.random.default_rng(8)
    phi_r, phi_f = g.normal(size=(5, 8)), g.normal(size=(5, 8))

    def eig(phi):
        u = phi / np.linalg.norm(phi, axis=1, keepdims=True)
        return np.linalg.eigh(u @ u.T)

    (lr, Vr), (lf, Vf) = eig(phi_r), eig(phi_f)
    w = (lr - lr.min()) / (lr.max() - lr.min())
    cos = np.sum(Vr * Vf, axis=0)
    magnitude = 1e-4 * np.mean((lf - lr) ** 2)
    ours = float(gan.diversity.gdpp(torch.tensor(phi_r), torch.tensor(phi_f)))
    assert ours == pytest.approx(magnitude + np.sum(w * (1 - cos ** 2)), rel=1e-9)
    official = magnitude - np.sum(w * cos)
    assert ours - official == pytest.approx(np.sum(w * (1 - cos ** 2 + cos)), rel=1e-9)
    # flipping an eigenvector's sign changes the official value, not ours
    cos_flipped = cos * np.array([1, -1, 1, 1, 1])
    assert magnitude - np.sum(w * cos_flipped) != pytest.approx(official)
    assert magnitude + np.sum(w * (1 - cos_flipped ** 2)) == pytest.approx(ours, rel=1e-9)


def test_gdpp_gradient_against_finite_differences():
    g = np.random.default_rng(9)
    phi_r = torch.tensor(g.normal(size=(4, 6)))
    phi_f = torch.tensor(g.normal(size=(4, 6)), requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda f: gan.diversity.gdpp(phi_r, f, broadening=0.0), (phi_f,), eps=1e-6, atol=1e-6)


# ------------------------------------------------------------------ stabilisers


def test_historical_averaging_is_salimans_sec_3_3():
    # |theta - (1/t) sum_i theta[i]|^2
    m = torch.nn.Linear(3, 2).to(DT)
    h = gan.stabilizers.HistoricalAverage(m, weight=1.0)
    snaps = []
    g = torch.Generator().manual_seed(3)
    for _ in range(4):
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn(p.shape, dtype=DT, generator=g))
        snaps.append([p.detach().clone() for p in m.parameters()])
        h.update()
    paper = sum(((p - sum(s[i] for s in snaps) / 4) ** 2).sum() for i, p in enumerate(m.parameters()))
    ours = h()
    _close(ours, paper)
    params = list(m.parameters())
    for a, b in zip(_grads(ours, params), _grads(paper, params)):
        _close(a, b)


def test_every_loss_and_term_has_a_row_in_the_docs():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "gan_papers.md").read_text()
    for name in gan.LOSSES:
        base = name.split(":")[0]
        assert f"`{name}`" in page or (base == "f-gan" and f"`{name.split(':')[1]}`" in page), name
    for term in ("gradient_penalty", "lipschitz_penalty", "r1", "r2", "wdiv_penalty", "feature_matching",
                 "MinibatchDiscrimination", "ogan_loss", "gdpp", "HistoricalAverage", "VirtualBatchNorm",
                 "real_label"):
        assert term in page, term
