"""The critic and generator losses of every family in :data:`gan.LOSSES`, and the
checks of their hyperparameters.

Each builder takes the checked hyperparameters and returns the pair
``(critic, generator)`` of functions ``(D, real, fake) -> scalar``, both minimised;
each check takes the hyperparameters over the defaults and returns them validated.
The formulas, papers and deliberate differences are in docs/gan_papers.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable

import torch
import torch.nn.functional as F

import divergences
from divergences.fdiv import FDivergence

from . import penalties as pen
from ._checks import Critic, paired, poisoned, positive, raw_scores, real_number, same_shape, score_mean, scores

Fn = Callable[[Critic, torch.Tensor, torch.Tensor], torch.Tensor]

WDIV_SAMPLES = ("real", "fake", "real+fake", "interpolates")


# ------------------------------------------------------- standard and least squares


def sgan(hp: Mapping[str, Any], saturating: bool) -> tuple[Fn, Fn]:
    alpha = hp["real_label"]

    def critic(D, real, fake):
        # -E_P [alpha log s(D) + (1 - alpha) log(1 - s(D))] - E_Q log(1 - s(D))
        r = scores(D, real, "real")
        real_term = F.softplus(-r) if alpha == 1 else alpha * F.softplus(-r) + (1 - alpha) * F.softplus(r)
        return real_term.mean() + F.softplus(scores(D, fake, "fake")).mean()

    def generator(D, real, fake):
        s = scores(D, fake, "fake")
        return -F.softplus(s).mean() if saturating else F.softplus(-s).mean()

    return critic, generator


def lsgan(hp):
    a, b, c = hp["a"], hp["b"], hp["c"]
    target = b if hp["real_label"] == 1 else a + hp["real_label"] * (b - a)

    def critic(D, real, fake):
        return 0.5 * ((scores(D, real, "real") - target) ** 2).mean() + 0.5 * ((scores(D, fake, "fake") - a) ** 2).mean()

    def generator(D, real, fake):
        return 0.5 * ((scores(D, fake, "fake") - c) ** 2).mean()

    return critic, generator


def hinge(hp):
    def critic(D, real, fake):
        return torch.relu(1 - scores(D, real, "real")).mean() + torch.relu(1 + scores(D, fake, "fake")).mean()

    def generator(D, real, fake):
        return -score_mean(D, fake, "fake")

    return critic, generator


# -------------------------------------------------------------------- Wasserstein


def wgan_with(penalty: Fn | None) -> tuple[Fn, Fn]:
    def critic(D, real, fake):
        # linear in the scores: one poison on the difference of means makes any
        # non-finite score a NaN loss
        value = poisoned(raw_scores(D, fake, "fake").mean() - raw_scores(D, real, "real").mean())
        return value if penalty is None else value + penalty(D, real, fake)

    def generator(D, real, fake):
        return -score_mean(D, fake, "fake")

    return critic, generator


def wgan(hp):
    return wgan_with(None)


def wgan_gp(hp):
    def penalty(D, real, fake):
        same_shape(real, fake)
        return pen.gradient_penalty(D, real, fake, lam=hp["lam"], target=hp["target"])

    return wgan_with(penalty)


def wgan_lp(hp):
    def penalty(D, real, fake):
        same_shape(real, fake)
        return pen.lipschitz_penalty(D, real, fake, lam=hp["lam"], target=hp["target"])

    return wgan_with(penalty)


def wdiv_points(sample: Any, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The WGAN-div penalty sample u for the ``sample`` option."""
    if callable(sample):
        return sample(real, fake)
    if sample == "real":
        return real
    if sample == "fake":
        return fake
    if sample == "real+fake":
        if real.shape[1:] != fake.shape[1:]:
            raise ValueError(
                f"real and fake must have the same sample shape for sample='real+fake', got "
                f"{tuple(real.shape)} and {tuple(fake.shape)}"
            )
        return torch.cat([real, fake.to(real.dtype)], dim=0)
    return pen.interpolates(real, fake)


def wgan_div(hp):
    k, p, sample = hp["k"], hp["p"], hp["sample"]

    def penalty(D, real, fake):
        return pen.wdiv_penalty(D, wdiv_points(sample, real, fake.detach()), k=k, p=p)

    return wgan_with(penalty)


# ------------------------------------------------------------------------- GAN-QP


def qp_distances(real: torch.Tensor, fake: torch.Tensor, norm: str, per_dimension: bool) -> torch.Tensor:
    """d(x_r, x_f) per pair: the L1 or L2 norm of the difference, divided by the
    number of dimensions D (l1) or its square root (l2) when ``per_dimension``
    (the official code's mean over pixels)."""
    same_shape(real, fake)
    diff = (real - fake).reshape(real.shape[0], -1)
    if norm == "l1":
        return diff.abs().mean(dim=1) if per_dimension else diff.abs().sum(dim=1)
    return (diff.pow(2).mean(dim=1) if per_dimension else diff.pow(2).sum(dim=1)).sqrt()


def gan_qp(hp):
    lam, norm, per_dimension = hp["lam"], hp["norm"], hp["per_dimension"]

    def critic(D, real, fake):
        # -E[delta - delta^2 / (2 lam d)], delta = D(x_r) - D(x_f); a pair at d = 0
        # adds 0 if delta = 0 and +inf otherwise (divergences.qp_objective's limit)
        d = qp_distances(real, fake, norm, per_dimension)
        delta = scores(D, real, "real") - scores(D, fake, "fake")
        d = d.to(delta.dtype)
        apart = d > 0
        quad = delta * delta / (2 * lam * torch.where(apart, d, torch.ones_like(d)))
        quad = torch.where(apart, quad, torch.where(delta == 0, torch.zeros_like(quad), torch.full_like(quad, torch.inf)))
        return (quad - delta).mean()

    def generator(D, real, fake):
        same_shape(real, fake)
        return (scores(D, real, "real") - scores(D, fake, "fake")).mean()

    return critic, generator


# ------------------------------------------------------------------- relativistic

PAIRED = "its critic compares C(x_r) with C(x_f) of the same batch index"

# (link on a relativistic score that should be high, link on one that should be low)
LINKS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]] = {
    "rasgan": (lambda t: F.softplus(-t), F.softplus),  # -log s(t), -log(1 - s(t))
    "ralsgan": (lambda t: (t - 1) ** 2, lambda t: (t + 1) ** 2),
    "rahinge": (lambda t: torch.relu(1 - t), lambda t: torch.relu(1 + t)),
}


def rsgan(hp):
    def gap(D, real, fake):
        paired(real, fake, "rsgan", PAIRED)
        return scores(D, real, "real") - scores(D, fake, "fake")

    def critic(D, real, fake):
        return F.softplus(-gap(D, real, fake)).mean()

    def generator(D, real, fake):
        return F.softplus(gap(D, real, fake)).mean()

    return critic, generator


def average_gaps(D: Critic, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d_r = C(x_r) - mean C(x_f) and d_f = C(x_f) - mean C(x_r): batch means only,
    so the two batch sizes may differ."""
    r, f = scores(D, real, "real"), scores(D, fake, "fake")
    return r - f.mean(), f - r.mean()


def relativistic_average(kind: str):
    high, low = LINKS[kind]

    def build(hp):
        scale = 0.5 if hp["halve"] else 1.0

        def critic(D, real, fake):
            dr, df = average_gaps(D, real, fake)
            return scale * (high(dr).mean() + low(df).mean())

        def generator(D, real, fake):
            dr, df = average_gaps(D, real, fake)
            return scale * (low(dr).mean() + high(df).mean())

        return critic, generator

    return build


# -------------------------------------------------------------------------- f-GAN


def pearson_table(v: torch.Tensor) -> torch.Tensor:
    """Nowozin et al.'s Table 2 conjugate of Pearson chi^2 on its activation v: v^2/4 + v."""
    return v * (v / 4 + 1)


def fgan(spec: FDivergence):
    def build(hp):
        table = spec.name == "pearson" and not hp.get("clamp", True)

        # + (v - v): a NaN score stays NaN (the table's masked branches would map it to a number)
        def fstar(v):
            return (pearson_table(v) if table else spec.conjugate_of_activation(v)) + (v - v)

        def g(v):
            return spec.activation(v) + (v - v)

        def critic(D, real, fake):
            # -(E_P g_f(v) - E_Q f*(g_f(v)))
            return fstar(scores(D, fake, "fake")).mean() - g(scores(D, real, "real")).mean()

        if hp["generator"] == "saddle":
            def generator(D, real, fake):
                return -fstar(scores(D, fake, "fake")).mean()
        else:
            def generator(D, real, fake):
                return -g(scores(D, fake, "fake")).mean()
        return critic, generator

    return build


def alpha(hp):
    return fgan(divergences.alpha_divergence(hp["alpha"]))(hp)


# --------------------------------------------------------------------- validation


def flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def real_label(value: Any) -> float:
    v = real_number(value, "real_label")
    if not 0 < v <= 1:
        raise ValueError(f"real_label must be in (0, 1] (1: no smoothing; Salimans et al. use 0.9), got {value!r}")
    return v


def check_sgan(hp):
    return {"real_label": real_label(hp["real_label"])}


def check_lsgan(hp):
    a, b, c = (real_number(hp[n], n) for n in "abc")
    if a == b:
        raise ValueError(f"a and b (the fake and real labels) must differ, got a = b = {a}")
    return {"a": a, "b": b, "c": c, "real_label": real_label(hp["real_label"])}


def check_lam_target(hp):
    return {"lam": positive(hp["lam"], "lam"), "target": positive(hp["target"], "target", allow_zero=True)}


def check_wdiv(hp):
    k = positive(hp["k"], "k")
    p = positive(hp["p"], "p")
    if p <= 1:
        raise ValueError(f"p must be > 1, got {hp['p']!r}")
    sample = hp["sample"]
    if not callable(sample) and sample not in WDIV_SAMPLES:
        raise ValueError(f"sample must be one of {', '.join(WDIV_SAMPLES)} or a callable (real, fake) -> points, got {sample!r}")
    return {"k": k, "p": p, "sample": sample}


def check_qp(hp):
    if hp["norm"] not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2', got {hp['norm']!r}")
    return {"lam": positive(hp["lam"], "lam"), "norm": hp["norm"], "per_dimension": flag(hp["per_dimension"], "per_dimension")}


def check_halve(hp):
    return {"halve": flag(hp["halve"], "halve")}


def check_fgan(hp):
    if hp["generator"] not in ("heuristic", "saddle"):
        raise ValueError(f"generator must be 'heuristic' or 'saddle', got {hp['generator']!r}")
    out = dict(hp)
    if "clamp" in hp:
        out["clamp"] = flag(hp["clamp"], "clamp")
    return out


def check_alpha(hp):
    if hp["alpha"] is None:
        raise ValueError("alpha must be given for 'f-gan:alpha' (a finite number other than 0 and 1)")
    try:
        divergences.alpha_divergence(hp["alpha"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"alpha out of range: {err}") from None
    out = check_fgan(hp)
    out["alpha"] = float(hp["alpha"])
    return out


def no_check(hp):
    return dict(hp)
