"""ONS: share of Census 2021 household returns made online, by LSOA 2011: the observed behaviour the index
is validated against. ONS says these are *not* official statistics. Some London boroughs' rows are withheld
from the copy in the data directory, so never assume every area has a value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boroughs.core.errors import DataError
from boroughs.inclusion.sources._base import (
    LSOA_EW,
    ONS,
    InputLog,
    check_known_codes,
    check_range,
    dataset,
    load,
)

URL = (
    "https://www.ons.gov.uk/peoplepopulationandcommunity/householdcharacteristics/"
    "homeinternetandsocialmediausage/articles/designingadigitalcensus/2023-02-09"
)
DISCLAIMER = (
    "This output is published to enable further research on the online share of responses achieved from "
    "Census 2021 for England and Wales. The data presented are NOT official statistics on either the census "
    "or population. This output must not be reproduced without this disclaimer and warning note."
)
COLS = ("Local Authority Code", "LSOA Code", "Paper First", "Online share of returns")
RENAME = {
    "Local Authority Code": "lad_code",
    "LSOA Code": "lsoa11_code",
    "Paper First": "paper_first",
    "Online share of returns": "online_share",
}
ONLINE_LONDON = dataset(
    "inclusion.online_share_london",
    "census2021_online_response/census2021_online_share_london_lsoa11.csv",
    "Census 2021 online share of household returns, London LSOA 2011 (not official statistics)",
    publisher=ONS,
    url=URL,
    columns=COLS,
    code_column="LSOA Code",
    code_pattern=LSOA_EW,
)
ONLINE_EW = dataset(
    "inclusion.online_share_ew",
    "census2021_online_response/census2021_online_share_lsoa11_ew.csv.gz",
    "Census 2021 online share of household returns, England and Wales LSOA 2011 (not official statistics)",
    publisher=ONS,
    url=URL,
    columns=COLS,
    code_column="LSOA Code",
    code_pattern=LSOA_EW,
)


def load_online_share(
    data_dir: Path | None = None,
    log: InputLog | None = None,
    *,
    england: bool = False,
    known11: set[str] | None = None,
) -> pd.DataFrame:
    """Online share by LSOA 2011 with a boolean ``paper_first``; rows may be missing (withheld)."""
    ds = ONLINE_EW if england else ONLINE_LONDON
    frame = load(ds, data_dir, log, numeric=["Online share of returns"])
    frame = frame[list(COLS)].rename(columns=RENAME)
    path = ds.full_path(data_dir)
    bad = ~frame["paper_first"].isin(["Yes", "No"])
    if bad.any():
        raise DataError(path, f"'Paper First' must be Yes or No, not {frame['paper_first'][bad].iloc[0]!r}",
                        column="Paper First", rows=[int(i) + 1 for i in frame.index[bad][:20]])
    frame["paper_first"] = frame["paper_first"].eq("Yes")
    check_range(ds, data_dir, frame.rename(columns={"online_share": "Online share of returns"}),
                "Online share of returns", 0.0, 1.0)
    if known11 is not None:
        check_known_codes(ds, data_dir, frame.rename(columns={"lsoa11_code": "LSOA Code"}), "LSOA Code",
                          known11, what="LSOA 2011")
    return frame
