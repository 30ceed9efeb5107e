"""Records that cannot be one person, whatever the match probabilities say: the clustering's cannot-link rules.

Connected components join records through chains: a record with no date of birth can be the bridge that puts
a father and his son of the same name, or two twins, into one resident. ``linkage.cluster`` refuses any
join that would put two *contradicting* records in one cluster. Two records contradict when

* both carry a generational suffix and the suffixes differ (``Jr`` and ``Snr``);
* both carry a date of birth, the dates are *different* (not the same, not the same with day and month
  swapped, not one digit apart), and either both carry national insurance (or other identity) numbers that
  differ by more than one character, or the birth years are a generation apart (14 years or more), or the
  first names are not compatible either (not one name group, not close spellings, not one inside the other).

Two entries of a source declared to list each person once (``one_per_person``: an electoral register)
contradict too, whatever else they share (:func:`same_listing`), and so do a record of a source declared to
hold adults only (``adults_only``: the register, council tax) and a record whose date of birth is a child's
(:func:`too_young_for`).

The same identity number (or one a single character away) on both records overrides all of these. Measured
on FEBRL, whose corrupted duplicates often have a wholly different date of birth *or* identity number, a
different number alone, or a different date alone, is too weak to forbid a link.

A reviewer's *accept* overrides these rules (the reviewer has seen both records), and so does the model's
own direct link above the threshold: the rules apply to records that would meet only through others (a
record with no date of birth linking a father and his son of the same name). Two exceptions hold even
against a direct link: entries of one source that lists each person once, and dates of birth a generation
apart under two different first names (:func:`generations_apart`: a parent and a child who share an
address, a surname and a phone). Records of one household that
the model scores together directly are kept apart in the model itself (the "different first names in one
household" level of ``linkage.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import jellyfish
import numpy as np
import pandas as pd

GENERATION_YEARS = 14


def _present(x: object) -> bool:
    return isinstance(x, str) and x != ""


def _close_dates(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 10 and len(b) == 10 and a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return True  # day and month swapped
    return jellyfish.damerau_levenshtein_distance(a, b) <= 1


def _year_gap(a: str, b: str) -> int:
    """Years between two ISO dates of birth (0 when either year is unreadable)."""
    try:
        return abs(int(a[:4]) - int(b[:4]))
    except ValueError:
        return 0


def first_names_compatible(fa: str, fb: str, ka: object, kb: object, la: object, lb: object) -> bool:
    """Could two (folded) first names be one person's: one name group, a close spelling, one inside the other
    (``seun`` in ``oluwaseun``, a middle name added), or first and last name swapped."""
    if fa == fb or (_present(ka) and ka == kb):
        return True
    if jellyfish.jaro_winkler_similarity(fa, fb) >= 0.8:
        return True
    if (len(fa) >= 3 and fa in fb) or (len(fb) >= 3 and fb in fa):
        return True
    return (_present(la) and fa == la) or (_present(lb) and fb == lb)


def contradicting(prepared: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For pairs of ``unique_id`` (row positions of ``linkage.prepare``'s frame): do the two records contradict?"""
    n = len(left)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    cols = {c: prepared[c].to_numpy(dtype=object) for c in
            ("national_id", "suffix", "dob", "first_name", "first_key", "last_name")}
    ni, sx, dob = cols["national_id"], cols["suffix"], cols["dob"]
    fn, fk, ln = cols["first_name"], cols["first_key"], cols["last_name"]
    for i, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        na, nb = ni[a], ni[b]
        both_ni = _present(na) and _present(nb)
        if both_ni and (na == nb or jellyfish.damerau_levenshtein_distance(na, nb) <= 1):
            continue  # one identity number: nothing else contradicts it
        sa, sb = sx[a], sx[b]
        if _present(sa) and _present(sb) and sa != sb:
            out[i] = True
            continue
        da, db = dob[a], dob[b]
        if not (_present(da) and _present(db)) or _close_dates(da, db):
            continue
        if both_ni:  # two identity numbers and two dates of birth
            out[i] = True
            continue
        if _year_gap(da, db) >= GENERATION_YEARS:
            out[i] = True
            continue
        fa, fb = fn[a], fn[b]
        if _present(fa) and _present(fb) and not first_names_compatible(fa, fb, fk[a], fk[b], ln[a], ln[b]):
            out[i] = True
    return out


def within_cluster_pairs(labels: np.ndarray, *, max_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of records that share a cluster label (clusters larger than ``max_size`` are skipped)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ends = np.r_[starts[1:], len(labels)]
    lefts: list[np.ndarray] = []
    rights: list[np.ndarray] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        size = e - s
        if size < 2 or size > max_size:
            continue
        members = order[s:e]
        i, j = np.triu_indices(size, k=1)
        lefts.append(members[i])
        rights.append(members[j])
    if not lefts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(lefts).astype(np.int64), np.concatenate(rights).astype(np.int64)


def same_listing(prepared: pd.DataFrame, left: np.ndarray, right: np.ndarray,
                 one_per_person: Collection[str]) -> np.ndarray:
    """For pairs of ``unique_id``: are the two records different entries of one source that lists each
    person once (an electoral register)? Such records are two people, however alike (a father and son of one
    name, a husband and wife at one address), unless they carry one identity number."""
    if not one_per_person or not len(left):
        return np.zeros(len(left), dtype=bool)
    source = prepared["source"].to_numpy(dtype=object)
    ni = prepared["national_id"].to_numpy(dtype=object)
    out = (source[left] == source[right]) & np.isin(source[left], list(one_per_person))
    for i in np.flatnonzero(out):
        na, nb = ni[left[i]], ni[right[i]]
        if _present(na) and _present(nb) and (na == nb or jellyfish.damerau_levenshtein_distance(na, nb) <= 1):
            out[i] = False
    return out


ADULT_AGE = 15  # a source of adults holds no one younger (16 for an electoral register's attainers, less a year's error)


def too_young_for(prepared: pd.DataFrame, left: np.ndarray, right: np.ndarray, adults_only: Collection[str],
                  as_of: dt.date) -> np.ndarray:
    """For pairs of ``unique_id``: is one record from a source that holds adults only (an electoral register,
    council tax's liable people) and the other's date of birth that of a child (under ``ADULT_AGE`` on
    ``as_of``)? A school's record of a son born in 2016 is not the electoral entry of his father of one name."""
    if not adults_only or not len(left):
        return np.zeros(len(left), dtype=bool)
    source = prepared["source"].to_numpy(dtype=object)
    adult = np.isin(source, list(adults_only))
    cutoff = f"{as_of.year - ADULT_AGE:04d}-{as_of.month:02d}-{as_of.day:02d}"
    dob = prepared["dob"].to_numpy(dtype=object)
    child = np.array([_present(d) and len(d) == 10 and d > cutoff for d in dob], dtype=bool)
    return (adult[left] & child[right]) | (adult[right] & child[left])


def generations_apart(prepared: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For pairs of ``unique_id``: two dates of birth a generation apart (not a swap or one digit out) under
    two different first names, with no shared identity number: a parent and child (Rahim, born 1971, and
    Rahima, born 2018, at one address with one phone), however much else they share."""
    out = np.zeros(len(left), dtype=bool)
    dob = prepared["dob"].to_numpy(dtype=object)
    fn = prepared["first_name"].to_numpy(dtype=object)
    ni = prepared["national_id"].to_numpy(dtype=object)
    for i, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        da, db = dob[a], dob[b]
        if not (_present(da) and _present(db)) or _close_dates(da, db) or fn[a] == fn[b]:
            continue
        if _present(ni[a]) and _present(ni[b]) and jellyfish.damerau_levenshtein_distance(ni[a], ni[b]) <= 1:
            continue
        out[i] = _year_gap(da, db) >= GENERATION_YEARS
    return out


def contradicting_pairs(prepared: pd.DataFrame, labels: np.ndarray,
                        accepted: Sequence[tuple[int, int]] = (),
                        direct: tuple[np.ndarray, np.ndarray] | None = None,
                        one_per_person: Collection[str] = (), adults_only: Collection[str] = (),
                        as_of: dt.date | None = None) -> list[tuple[int, int]]:
    """The contradicting pairs inside the clusters of ``labels``, except pairs a reviewer accepted and pairs
    in ``direct`` (the model's own links above the threshold: the model has weighed those two records
    together; the rules guard against chains, where two records meet only through others). Two entries of a
    source in ``one_per_person`` (:func:`same_listing`), and two records a generation apart under two first
    names (:func:`generations_apart`), and a child's record against one of a source of adults (``adults_only``,
    :func:`too_young_for`), contradict even when the model links them directly."""
    left, right = within_cluster_pairs(labels)
    listed = same_listing(prepared, left, right, one_per_person)
    listed |= too_young_for(prepared, left, right, adults_only, as_of or dt.date.today())
    always = list(zip(left[listed].tolist(), right[listed].tolist(), strict=True))
    if direct is not None and len(left):
        n = np.int64(len(labels))
        lo, hi = np.minimum(direct[0], direct[1]), np.maximum(direct[0], direct[1])
        keep = ~np.isin(np.minimum(left, right) * n + np.maximum(left, right), lo * n + hi)
        apart = ~keep & generations_apart(prepared, left, right)
        always += list(zip(left[apart].tolist(), right[apart].tolist(), strict=True))
        left, right = left[keep], right[keep]
    bad = contradicting(prepared, left, right)
    ok = {(min(a, b), max(a, b)) for a, b in accepted}
    found = {(min(int(a), int(b)), max(int(a), int(b)))
             for a, b in [*zip(left[bad], right[bad], strict=True), *always]}
    return sorted(found - ok)
