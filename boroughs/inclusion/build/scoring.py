"""Normalisation, need-type scores, the overall score, and the calibrated (learned-weight) model.

Every indicator is first *oriented* (multiplied by its direction) so that higher always means greater risk,
then normalised by one of:

* ``rank``: percentile rank, 0–1 (the default for the fixed-weight methods: robust to outliers);
* ``zscore``: (x − mean) / standard deviation;
* ``minmax``: robust min–max, (x − 1st percentile) / (99th − 1st percentile), clipped to 0–1.

A missing indicator value (for example a suppressed count) is set to the middle of the distribution, so it
neither raises nor lowers the area's score. A need-type score is the weighted mean of its normalised
indicators; the overall score is the weighted mean of the need-type scores.

The **calibrated** method is a *sign-constrained* additive model learned from observed behaviour: ridge
regression (least squares with an L2 penalty) with every weight constrained to be zero or positive (solved
exactly with SciPy's non-negative least squares), to the percentile rank of the observed offline share. Its
terms (:func:`terms`) all rise with the oriented indicators:

* per indicator, a straight line in its z-score (capped at ±3 standard deviations) and, at −1, 0 and +1
  standard deviations, a term that rises above the knot and one that rises up to it: with non-negative
  weights, any increasing piecewise-linear shape (risk may rise faster at the top of a measure than at the
  bottom, never fall);
* per pair of indicators, the product of their percentile ranks: an interaction that can only add risk where
  both are high (for example older residents *and* low incomes).

Because every indicator is oriented so that higher means more risk (the direction the catalogue's evidence
gives), the score can only rise as a risk factor rises: the model cannot read a known risk factor as
protective. Indicators the catalogue leaves out of the model (overlapping age bands, replaced by one age and
disability profile; counts; a threshold of another measure) have no terms. The observed share is the target
only: it is never an input. The ridge penalty (``alpha``, default 10) is a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from boroughs.inclusion.build.catalogue import Catalogue

NORMALISATIONS = ("rank", "zscore", "minmax")
METHODS = ("calibrated", "rank", "zscore", "minmax")
DEFAULT_ALPHA = 10.0


def oriented(values: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    directions = np.array([catalogue.by_id(c).direction for c in values.columns], dtype=float)
    return values.to_numpy(dtype=float) * directions


def normalise(x: np.ndarray, method: str) -> np.ndarray:
    """Normalise each column of an oriented indicator matrix; missing values go to the middle."""
    if method not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {', '.join(NORMALISATIONS)}, not {method!r}")
    out = np.empty_like(x, dtype=float)
    for j in range(x.shape[1]):
        col = x[:, j]
        ok = np.isfinite(col)
        v = col[ok]
        if method == "rank":
            r = pd.Series(v).rank(method="average").to_numpy()
            res = (r - 0.5) / len(v)
            fill = 0.5
        elif method == "zscore":
            sd = v.std() or 1.0
            res = (v - v.mean()) / sd
            fill = 0.0
        else:
            lo, hi = np.percentile(v, [1, 99])
            span = (hi - lo) or 1.0
            res = np.clip((v - lo) / span, 0.0, 1.0)
            fill = float(np.median(res))
        out[ok, j] = res
        out[~ok, j] = fill
    return out


CLIP = 3.0


def standardised(x: np.ndarray, method: str, clip: float | None = CLIP) -> np.ndarray:
    """Normalise, scale each column to mean 0 and unit variance, and cap at ±``clip`` standard deviations
    (the inputs of the calibrated model: capping stops a few extreme areas from steering the weights)."""
    n = normalise(x, method)
    sd = n.std(axis=0)
    sd[sd == 0] = 1.0
    out = (n - n.mean(axis=0)) / sd
    return np.clip(out, -clip, clip) if clip else out


@dataclass
class Weights:
    """Indicator weights (within need type) and need-type weights; defaults are all 1 (equal)."""

    indicators: dict[str, float] = field(default_factory=dict)
    need_types: dict[str, float] = field(default_factory=dict)

    def indicator_vector(self, catalogue: Catalogue) -> np.ndarray:
        return np.array([float(self.indicators.get(i, 1.0)) for i in catalogue.ids])

    def type_vector(self, catalogue: Catalogue) -> np.ndarray:
        return np.array([float(self.need_types.get(t, 1.0)) for t in catalogue.need_types])


def membership(catalogue: Catalogue) -> np.ndarray:
    """Indicator × need type 0/1 matrix."""
    types = list(catalogue.need_types)
    m = np.zeros((len(catalogue.ids), len(types)))
    for i, ind in enumerate(catalogue.indicators):
        m[i, types.index(ind.need_type)] = 1.0
    return m


def type_scores(norm: np.ndarray, catalogue: Catalogue, ind_w: np.ndarray) -> np.ndarray:
    """Weighted mean of normalised indicators within each need type (areas × types)."""
    m = membership(catalogue) * ind_w[:, None]
    return np.asarray((norm @ m) / m.sum(axis=0))


def composite(types: np.ndarray, type_w: np.ndarray) -> np.ndarray:
    return np.asarray(types @ type_w / type_w.sum())


def fixed_score(x: np.ndarray, catalogue: Catalogue, method: str, weights: Weights) -> tuple[np.ndarray, np.ndarray]:
    """(overall score, need-type scores) for a fixed-weight method."""
    t = type_scores(normalise(x, method), catalogue, weights.indicator_vector(catalogue))
    return composite(t, weights.type_vector(catalogue)), t


KNOTS = (-1.0, 0.0, 1.0)  # where an indicator's shape may bend, in standard deviations from its mean
PAIR_SCALE = 4.0  # a pair term is 4 × the product of two percentile ranks (0–4), about unit variance


@dataclass(frozen=True)
class Terms:
    """What each column of the calibrated model's design is: ``first`` is its indicator; ``second`` is the
    other indicator of a pair term, −1 for a shape term; ``knot`` is where a shape term bends (NaN for the
    straight-line term and for pair terms)."""

    first: np.ndarray
    second: np.ndarray
    knot: np.ndarray
    above: np.ndarray  # shape term that rises above its knot (False: rises up to it)

    @property
    def pair(self) -> np.ndarray:
        return np.asarray(self.second >= 0)


def terms(mask: np.ndarray) -> Terms:
    """The design's columns for the indicators in ``mask``: per indicator a straight line and, at each knot,
    one term that rises above it and one that rises up to it (together any increasing piecewise-linear shape);
    then one term per pair of indicators."""
    idx = [int(i) for i in np.flatnonzero(mask)]
    first: list[int] = list(idx)
    knot: list[float] = [np.nan] * len(idx)
    above: list[bool] = [False] * len(idx)
    for k in KNOTS:
        for up in (True, False):
            first += list(idx)
            knot += [k] * len(idx)
            above += [up] * len(idx)
    second = [-1] * len(first)
    for a, b in combinations(idx, 2):
        first.append(a)
        second.append(b)
        knot.append(np.nan)
        above.append(False)
    return Terms(np.array(first, dtype=int), np.array(second, dtype=int), np.array(knot), np.array(above))


def design(z: np.ndarray, r: np.ndarray, t: Terms) -> np.ndarray:
    """The design matrix (areas × terms) from z-scores ``z`` and percentile ranks ``r`` (both oriented).

    Every column rises (or stays level) as its indicator(s) rise, so non-negative weights give a score that
    can only rise with each indicator: a monotone shape per indicator and monotone interactions."""
    zf = z[:, t.first]
    k = np.nan_to_num(t.knot)
    shape = np.where(np.isnan(t.knot), zf, np.where(t.above, np.maximum(0.0, zf - k), -np.maximum(0.0, k - zf)))
    pair = PAIR_SCALE * r[:, t.first] * r[:, np.maximum(t.second, 0)]
    return np.asarray(np.where(t.pair, pair, shape))


def model_inputs(x: np.ndarray, normalisation: str = "zscore") -> tuple[np.ndarray, np.ndarray]:
    """(z, r): the calibrated model's two views of the oriented indicators ``x``: capped z-scores (after the
    given normalisation) for the shape terms, percentile ranks for the pair terms. A missing value is set to
    the median of the indicator's known values in both, so it neither raises nor lowers the score."""
    z, r = standardised(x, normalisation), normalise(x, "rank")
    for j in range(x.shape[1]):
        missing = ~np.isfinite(x[:, j])
        if missing.any() and not missing.all():
            z[missing, j] = np.median(z[~missing, j])
            r[missing, j] = np.median(r[~missing, j])
    return z, r


@dataclass
class Calibrated:
    """A fitted calibrated model: one non-negative weight per term of its design (see :func:`terms`)."""

    coef: np.ndarray
    intercept: float
    alpha: float
    terms: Terms
    reference_z: np.ndarray  # the London median of each indicator, as z and as rank (the reference area)
    reference_r: np.ndarray
    low_high: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # z and r at each indicator's 10th, 90th percentile

    def predict(self, z: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.asarray(design(z, r, self.terms) @ self.coef + self.intercept)

    def indicator_contributions(self, z: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Each indicator's contribution (areas × indicators) to the area's score, against a reference area at
        the London median on every indicator; the contributions sum to the area's score minus that area's.

        A shape term counts for its indicator. A pair term's rise is shared between its two indicators the
        way the Shapley value shares a product: indicator *a* gets w·(rₐ − mₐ)·(r_b + m_b)/2. So every part
        of an indicator's contribution has the sign of (its value − the London median): it is positive
        exactly when the indicator is on the risky side of the median, and only then."""
        t = self.terms
        n, k = z.shape
        out = np.zeros((n, k))
        shape = ~t.pair
        d = design(z, r, t)[:, shape] - design(self.reference_z[None, :], self.reference_r[None, :], t)[:, shape]
        np.add.at(out.T, t.first[shape], (d * self.coef[shape]).T)
        a, b, w = t.first[t.pair], t.second[t.pair], PAIR_SCALE * self.coef[t.pair]
        ma, mb = self.reference_r[a], self.reference_r[b]
        np.add.at(out.T, a, (w * (r[:, a] - ma) * (r[:, b] + mb) / 2).T)
        np.add.at(out.T, b, (w * (r[:, b] - mb) * (r[:, a] + ma) / 2).T)
        return out

    def weight(self) -> np.ndarray:
        """One weight per indicator: how much the score rises per standard deviation of the indicator, from
        an area at its 10th percentile to one at its 90th, every other indicator at the London median. It is
        never negative (every term rises with its indicators); for a straight-line model it is the slope."""
        zl, zh, rl, rh = self.low_high
        k = len(self.reference_z)
        out = np.zeros(k)
        for i in np.unique(self.terms.first):
            lo_z, hi_z = self.reference_z.copy(), self.reference_z.copy()
            lo_r, hi_r = self.reference_r.copy(), self.reference_r.copy()
            lo_z[i], hi_z[i], lo_r[i], hi_r[i] = zl[i], zh[i], rl[i], rh[i]
            rise = float(self.predict(hi_z[None, :], hi_r[None, :])[0] - self.predict(lo_z[None, :], lo_r[None, :])[0])
            out[i] = rise / max(float(zh[i] - zl[i]), 1e-9)
        return out

    def interactions(self, catalogue: Catalogue, top: int = 3) -> dict[str, list[dict[str, object]]]:
        """For each indicator, the (up to ``top``) other indicators its pair terms weigh most with."""
        t = self.terms
        out: dict[str, list[dict[str, object]]] = {}
        for a, b, w in zip(t.first[t.pair], t.second[t.pair], self.coef[t.pair], strict=True):
            if w <= 0:
                continue
            for i, j in ((a, b), (b, a)):
                out.setdefault(catalogue.ids[i], []).append({"with": catalogue.ids[j], "weight": round(float(w), 5)})
        return {k: sorted(v, key=lambda e: -float(e["weight"]))[:top] for k, v in out.items()}  # type: ignore[arg-type]


def target(y: np.ndarray) -> np.ndarray:
    """The calibration target: percentile rank of the observed offline share (0–1)."""
    return np.asarray((pd.Series(y).rank(method="average").to_numpy() - 0.5) / len(y))


def nonneg_ridge(z: np.ndarray, t: np.ndarray, alpha: float, mask: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Minimise ‖t − c − z·w‖² + alpha‖w‖² subject to w ≥ 0 (and w = 0 outside ``mask``): (w, c)."""
    k = z.shape[1]
    use = np.ones(k, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    zs = z[:, use]
    zm, tm = zs.mean(axis=0), float(t.mean())
    zc = zs - zm
    w_use = _solve(zc.T @ zc, zc.T @ (t - tm), alpha)
    w = np.zeros(k)
    w[use] = w_use
    return w, tm - float(zm @ w_use)


def _solve(gram: np.ndarray, zt: np.ndarray, alpha: float) -> np.ndarray:
    """The non-negative ridge weights from the centred normal equations (Gram matrix and zᵀt): with
    G + alpha·I = LLᵀ, the problem is the non-negative least squares ‖Lᵀw − L⁻¹zᵀt‖², which
    :func:`scipy.optimize.nnls` solves exactly."""
    chol = np.linalg.cholesky(gram + alpha * np.eye(len(gram)))
    w, _ = nnls(chol.T, np.linalg.solve(chol, zt), maxiter=50 * len(gram))
    return np.asarray(w)


def fit_calibrated(x: np.ndarray, y: np.ndarray, mask: np.ndarray, alpha: float = DEFAULT_ALPHA) -> Calibrated:
    """Fit the sign-constrained model to the oriented indicators ``x`` on rows with an observed value only
    (``y`` finite). The reference area is at the median of every indicator's known values (as z-score and as
    rank, which agree there), and :meth:`Calibrated.weight` compares its 10th and 90th percentiles."""
    ok = np.isfinite(y)
    if ok.sum() < 50:
        raise ValueError(f"only {int(ok.sum())} areas have an observed online share; at least 50 are needed")
    z, r = model_inputs(x)
    t = terms(mask)
    coef, intercept = nonneg_ridge(design(z[ok], r[ok], t), target(y[ok]), alpha)
    known = [np.isfinite(x[:, j]) if np.isfinite(x[:, j]).any() else slice(None) for j in range(x.shape[1])]
    zq = np.array([np.percentile(z[k, j], [10, 50, 90]) for j, k in enumerate(known)]).T
    rq = np.array([np.percentile(r[k, j], [10, 50, 90]) for j, k in enumerate(known)]).T
    return Calibrated(coef, intercept, alpha, t, zq[1], rq[1], (zq[0], zq[2], rq[0], rq[2]))


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: np.ndarray, mask: np.ndarray,
                alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """Leave-one-group-out predictions: each group's rows are predicted by a model fitted without them.

    Rows without an observed value get a prediction too (from the model that left out their group), but
    are never used for fitting. The normal equations of every fold are the whole data's less the held-out
    group's, so the design's products are computed once."""
    z, r = model_inputs(x)
    d = design(z, r, terms(mask))
    pred = np.full(len(y), np.nan)
    ok = np.isfinite(y)
    full = d[ok].T @ d[ok]
    for g in pd.unique(groups):
        held = groups == g
        train = ~held & ok
        if train.sum() < 50:
            continue
        tt = target(y[train])
        dt = d[train]
        mean_d, mean_t = dt.mean(axis=0), float(tt.mean())
        gram = full - d[held & ok].T @ d[held & ok] - len(tt) * np.outer(mean_d, mean_d)
        w = _solve(gram, dt.T @ tt - len(tt) * mean_d * mean_t, alpha)
        pred[held] = d[held] @ w + mean_t - float(mean_d @ w)
    return pred


def learned_weights_table(model: Calibrated, catalogue: Catalogue) -> list[dict[str, object]]:
    """The learned weight of each indicator in the model (:meth:`Calibrated.weight`), with its sign, the
    evidence for it and the indicators it weighs most with in pair terms.

    Every term rises with its indicators, so no weight is negative; ``sign`` is the direction in which the
    raw measure moves risk (+1: more of it, more risk; −1: more of it, less risk)."""
    weights = model.weight()
    pairs = model.interactions(catalogue)
    return [
        {"indicator": ind.id, "name": ind.name, "need_type": ind.need_type, "weight": round(float(w), 5),
         "sign": "+" if ind.direction > 0 else "−", "direction": ind.direction,
         "evidence": ind.evidence, "evidence_strength": ind.evidence_strength,
         "interacts_with": pairs.get(ind.id, [])}
        for ind, w, used in zip(catalogue.indicators, weights, catalogue.in_model(), strict=True)
        if used
    ]


def excluded_from_model(catalogue: Catalogue) -> list[dict[str, object]]:
    """Indicators kept for the map and the need types but left out of the learned model, and why."""
    return [{"indicator": ind.id, "name": ind.name, "reason": ind.model_exclusion, "replaced_by": ind.replaced_by}
            for ind, used in zip(catalogue.indicators, catalogue.in_model(), strict=True) if not used]


def percentile(score: np.ndarray) -> np.ndarray:
    """0–100 percentile rank (100 = highest risk)."""
    r = pd.Series(score).rank(method="average").to_numpy()
    return np.asarray(100.0 * (r - 0.5) / len(score))


def parse_weights(text: str | None, valid: Mapping[str, object]) -> dict[str, float]:
    """Parse ``"a=2,b=0.5"`` into weights, checking names."""
    out: dict[str, float] = {}
    if not text:
        return out
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in valid:
            raise ValueError(f"unknown weight name {name!r}; use one of {', '.join(valid)}")
        try:
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"weight for {name!r} must be a number, not {value!r}") from None
        if out[name] < 0:
            raise ValueError(f"weight for {name!r} must not be negative")
    return out
