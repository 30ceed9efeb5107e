"""Normalisation, need-type scores, the overall score, and the calibrated (learned-weight) model.

Every indicator is first *oriented* (multiplied by its direction) so that higher always means greater risk,
then normalised by one of:

* ``rank``: percentile rank, 0–1 (the default for the fixed-weight methods: robust to outliers);
* ``zscore``: (x − mean) / standard deviation;
* ``minmax``: robust min–max, (x − 1st percentile) / (99th − 1st percentile), clipped to 0–1.

A missing indicator value (for example a suppressed count) is set to the middle of the distribution, so it
neither raises nor lowers the area's score. A need-type score is the weighted mean of its normalised
indicators; the overall score is the weighted mean of the need-type scores.

The **calibrated** method learns one weight per indicator with a *sign-constrained* ridge regression: least
squares with an L2 penalty and every weight constrained to be zero or positive (solved with SciPy's
non-negative least squares), from z-scored, oriented indicators (capped at ±3 standard deviations) to the
percentile rank of the observed offline share. Because every indicator is oriented so that higher means more
risk (the direction the catalogue's evidence gives), no learned weight can read a known risk factor as
protective. Indicators the catalogue leaves out of the model (overlapping age bands, replaced by one age and
disability profile; counts; a threshold of another measure) get weight 0. The observed share is the target
only: it is never an input. The ridge penalty (``alpha``, default 10 on unit-variance indicators) is a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


@dataclass
class Calibrated:
    """A fitted calibrated model: one weight per indicator on z-scored (unit-variance) indicators."""

    coef: np.ndarray
    intercept: float
    alpha: float
    normalisation: str = "zscore"

    def predict(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z @ self.coef + self.intercept)

    def indicator_contributions(self, z: np.ndarray) -> np.ndarray:
        """Each indicator's contribution (areas × indicators): weight × (value − the London median value).

        Positive means the indicator raises this area's score above that of an area at the median on it;
        the contributions sum to the area's score minus the score of an area at the median on every one."""
        return np.asarray((z - np.median(z, axis=0)) * self.coef)

    def contributions(self, z: np.ndarray, catalogue: Catalogue) -> np.ndarray:
        """Each need type's contribution to the score (areas × types): the sum of its indicators'."""
        return np.asarray(self.indicator_contributions(z) @ membership(catalogue))


def target(y: np.ndarray) -> np.ndarray:
    """The calibration target: percentile rank of the observed offline share (0–1)."""
    return np.asarray((pd.Series(y).rank(method="average").to_numpy() - 0.5) / len(y))


def nonneg_ridge(z: np.ndarray, t: np.ndarray, alpha: float, mask: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Minimise ‖t − c − z·w‖² + alpha‖w‖² subject to w ≥ 0 (and w = 0 outside ``mask``): (w, c).

    Solved on the (small) normal equations: with G = zᵀz + alpha·I = LLᵀ, the problem is the non-negative
    least squares ‖Lᵀw − L⁻¹zᵀt‖², which :func:`scipy.optimize.nnls` solves exactly."""
    k = z.shape[1]
    use = np.ones(k, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    zs = z[:, use]
    zm, tm = zs.mean(axis=0), float(t.mean())
    zc = zs - zm
    gram = zc.T @ zc + alpha * np.eye(zs.shape[1])
    chol = np.linalg.cholesky(gram)
    w_use, _ = nnls(chol.T, np.linalg.solve(chol, zc.T @ (t - tm)), maxiter=50 * k)
    w = np.zeros(k)
    w[use] = w_use
    return w, tm - float(zm @ w_use)


def fit_calibrated(
    z: np.ndarray, y: np.ndarray, normalisation: str = "zscore", alpha: float = DEFAULT_ALPHA,
    mask: np.ndarray | None = None,
) -> Calibrated:
    """Fit sign-constrained ridge weights on rows with an observed value only (``y`` finite)."""
    ok = np.isfinite(y)
    if ok.sum() < 50:
        raise ValueError(f"only {int(ok.sum())} areas have an observed online share; at least 50 are needed")
    coef, intercept = nonneg_ridge(z[ok], target(y[ok]), alpha, mask)
    return Calibrated(coef, intercept, alpha, normalisation)


def out_of_fold(z: np.ndarray, y: np.ndarray, groups: np.ndarray, alpha: float = DEFAULT_ALPHA,
                mask: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-group-out predictions: each group's rows are predicted by a model fitted without them.

    Rows without an observed value get a prediction too (from the model that left out their group), but
    are never used for fitting."""
    pred = np.full(len(y), np.nan)
    for g in pd.unique(groups):
        held = groups == g
        train = ~held & np.isfinite(y)
        if train.sum() < 50:
            continue
        coef, intercept = nonneg_ridge(z[train], target(y[train]), alpha, mask)
        pred[held] = z[held] @ coef + intercept
    return pred


def learned_weights_table(model: Calibrated, catalogue: Catalogue) -> list[dict[str, object]]:
    """The learned weights of the indicators in the model, each with its sign and the evidence for it.

    Every weight is zero or positive on the oriented indicator, so ``sign`` is the direction in which the
    raw measure moves risk (+1: more of it, more risk; −1: more of it, less risk)."""
    return [
        {"indicator": ind.id, "name": ind.name, "need_type": ind.need_type, "weight": round(float(w), 5),
         "sign": "+" if ind.direction > 0 else "−", "direction": ind.direction,
         "evidence": ind.evidence, "evidence_strength": ind.evidence_strength}
        for ind, w, used in zip(catalogue.indicators, model.coef, catalogue.in_model(), strict=True)
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
