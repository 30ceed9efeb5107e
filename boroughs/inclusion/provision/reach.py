"""Reach: how far each London LSOA (2021) is from digital support, in a straight line, and how long a walk.

Method (``docs/inclusion/provision.md``):

- Each LSOA is represented by its **centroid**, taken in British National Grid (EPSG:27700, metres) from
  the ONS boundaries in the data directory (the representative point when the centroid falls outside an
  oddly shaped area). London's LSOAs are small (about 0.3 km² in the median), so the choice of point moves
  a distance by a few hundred metres at most.
- Distance is **straight-line** (Euclidean in EPSG:27700) from that point to each site, with GeoPandas'
  nearest-neighbour join. Why not network distance: it needs a street network (OpenStreetMap) that this
  deployment does not hold and must keep current, and for ranking areas by reach the two agree closely in
  a dense street grid; a **detour factor** (default 1.3, a common figure for the ratio of street to
  straight-line distance in UK cities) turns it into a walking distance, and a **walking speed**
  (default 4.8 km/h, the speed TfL's PTAL method uses) into minutes. Rivers, railways and parks make some
  real walks longer than this; the docs list the limits.
- **Within walking distance** counts the sites no more than ``walk_minutes`` (default 15) of estimated
  walking away.
- **Opening hours**: ``when`` keeps only the sites known to be open in the evening, at weekends, or either;
  a site whose hours are not known is left out of those views (and kept in ``any``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boroughs.config import get_settings
from boroughs.core.models import Organisation
from boroughs.inclusion.provision.models import KINDS, Provision

CRS = "EPSG:27700"
WHEN = {"any": "At any time", "evenings": "Open evenings (after 6pm)", "weekends": "Open at weekends",
        "evenings_or_weekends": "Open evenings or weekends"}


@dataclass(frozen=True)
class WalkParams:
    minutes: float = 15.0
    speed_kmh: float = 4.8
    detour: float = 1.3

    @classmethod
    def from_settings(cls) -> WalkParams:
        s = get_settings()
        return cls(s.provision_walk_minutes, s.provision_walk_speed_kmh, s.provision_detour_factor)

    @property
    def metres_per_minute(self) -> float:
        return self.speed_kmh * 1000 / 60

    @property
    def straight_line_m(self) -> float:
        """The straight-line radius that is ``minutes`` of walking after the detour factor."""
        return self.minutes * self.metres_per_minute / self.detour

    def walk_minutes(self, straight_m: np.ndarray) -> np.ndarray:
        return np.asarray(straight_m, dtype=float) * self.detour / self.metres_per_minute


# ---- sites --------------------------------------------------------------------------------------

SITE_COLUMNS = ["id", "name", "kind", "address", "postcode", "latitude", "longitude", "opening_hours",
                "open_evenings", "open_weekends", "serves", "website", "is_example", "council", "council_code",
                "source_kind"]


def sites_frame(db: Session) -> pd.DataFrame:
    """Every provision site, with its council's name (open data: no personal data in this table)."""
    rows = db.execute(
        select(Provision, Organisation.name, Organisation.ons_code)
        .join(Organisation, Organisation.id == Provision.organisation_id)
        .order_by(Provision.id)
    ).all()
    records = [{
        "id": p.id, "name": p.name, "kind": p.kind, "address": p.address, "postcode": p.postcode,
        "latitude": p.latitude, "longitude": p.longitude, "opening_hours": p.opening_hours,
        "open_evenings": p.open_evenings, "open_weekends": p.open_weekends, "serves": p.serves,
        "website": p.website, "is_example": p.is_example, "council": org_name, "council_code": code,
        "source_kind": p.source_kind,
    } for p, org_name, code in rows]
    return pd.DataFrame(records, columns=SITE_COLUMNS)


def sites_from_parsed(sites: list[Any]) -> pd.DataFrame:
    """Sites read from a file (``importer.Parsed.sites``) as the frame :func:`compute` takes (no database)."""
    records = [{"id": i + 1, "name": s.name, "kind": s.kind, "address": s.address, "postcode": s.postcode,
                "latitude": s.latitude, "longitude": s.longitude, "opening_hours": s.opening_hours,
                "open_evenings": s.open_evenings, "open_weekends": s.open_weekends, "serves": s.serves,
                "website": s.website, "is_example": False, "council": "", "council_code": "", "source_kind": ""}
               for i, s in enumerate(sites)]
    return pd.DataFrame(records, columns=SITE_COLUMNS)


def open_when(sites: pd.DataFrame, when: str) -> pd.DataFrame:
    if when not in WHEN:
        raise ValueError(f"when must be one of {', '.join(WHEN)}")
    if when == "any" or sites.empty:
        return sites
    ev = sites["open_evenings"].fillna(False).astype(bool)
    we = sites["open_weekends"].fillna(False).astype(bool)
    keep = {"evenings": ev, "weekends": we, "evenings_or_weekends": ev | we}[when]
    return sites[keep.to_numpy()]


# ---- centroids ----------------------------------------------------------------------------------

_centroid_lock = threading.Lock()
_centroids: dict[str, Any] = {}


def centroids(data_dir: Path | None = None) -> Any:
    """London's LSOA 2021 centroids in EPSG:27700 (a GeoDataFrame indexed by ``lsoa21_code``)."""
    import geopandas as gpd

    from boroughs.core import geography

    path = geography.LSOA21.full_path(data_dir or get_settings().data_dir)
    key = f"{path}:{path.stat().st_mtime_ns}"
    with _centroid_lock:
        found = _centroids.get(key)
        if found is None:
            gdf = gpd.read_file(path)[["lsoa21_code", "geometry"]].to_crs(CRS)
            points = gdf.geometry.centroid
            outside = ~points.within(gdf.geometry)
            points[outside] = gdf.geometry[outside].representative_point()
            found = gpd.GeoDataFrame({"lsoa21_code": gdf["lsoa21_code"].astype(str)}, geometry=points, crs=CRS
                                     ).set_index("lsoa21_code")
            _centroids.clear()
            _centroids[key] = found
        return found


def site_points(sites: pd.DataFrame) -> Any:
    import geopandas as gpd

    geo = gpd.GeoDataFrame(sites.reset_index(drop=True),
                           geometry=gpd.points_from_xy(sites["longitude"], sites["latitude"]), crs="EPSG:4326")
    return geo.to_crs(CRS)


# ---- reach --------------------------------------------------------------------------------------


def compute(codes: list[str], sites: pd.DataFrame, *, when: str = "any", params: WalkParams | None = None,
            data_dir: Path | None = None) -> pd.DataFrame:
    """One row per LSOA in ``codes`` (in that order): ``nearest_m`` (straight line to the nearest site),
    ``nearest_id``, ``nearest_kind``, ``walk_minutes``, ``within_walk`` (sites within walking time), and
    ``nearest_m_<kind>`` for each kind. Distances are NaN when there is no site (of that kind)."""
    import geopandas as gpd

    params = params or WalkParams.from_settings()
    points = centroids(data_dir).reindex(codes)
    if points.geometry.isna().any():
        missing = points.index[points.geometry.isna()][0]
        raise ValueError(f"{missing} has no boundary in the data directory")
    out = pd.DataFrame(index=pd.Index(codes, name="lsoa21_code"))
    chosen = open_when(sites, when)
    left = gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=CRS, index=pd.RangeIndex(len(codes)))

    def nearest(subset: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if subset.empty:
            return np.full(len(codes), np.nan), np.full(len(codes), -1)
        right = site_points(subset)
        joined = gpd.sjoin_nearest(left, right[["id", "geometry"]], how="left", distance_col="d")
        joined = joined[~joined.index.duplicated(keep="first")].sort_index()
        return joined["d"].to_numpy(dtype=float), joined["id"].to_numpy(dtype=int)

    dist, ids = nearest(chosen)
    out["nearest_m"] = dist
    out["nearest_id"] = ids
    kinds = dict(zip(chosen["id"], chosen["kind"], strict=True)) if not chosen.empty else {}
    out["nearest_kind"] = [kinds.get(int(i), "") for i in ids]
    out["walk_minutes"] = params.walk_minutes(dist)
    if chosen.empty:
        out["within_walk"] = 0
    else:
        right = site_points(chosen)
        hits = gpd.sjoin(left, right[["id", "geometry"]], how="inner", predicate="dwithin",
                         distance=params.straight_line_m)
        counts = hits.groupby(level=0).size()
        out["within_walk"] = counts.reindex(range(len(codes)), fill_value=0).to_numpy(dtype=int)
    for kind in KINDS:
        d, _ = nearest(chosen[chosen["kind"] == kind])
        out[f"nearest_m_{kind}"] = d
    return out


# ---- cache for the web app ----------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Any] = {}


def signature(db: Session) -> tuple[Any, ...]:
    """Changes whenever provision is imported, replaced or removed."""
    n, top, last = db.execute(select(func.count(Provision.id), func.max(Provision.id),
                                     func.max(Provision.imported_at))).one()
    return (int(n or 0), int(top or 0), str(last))


def cached(key: tuple[Any, ...], build: Any) -> Any:
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    value = build()
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = value
    return value


def forget() -> None:
    with _cache_lock:
        _cache.clear()
