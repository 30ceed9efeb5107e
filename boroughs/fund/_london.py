"""The 33 London local authorities: ONS (GSS) code, name and local-authority-eng register code.

The register code (ISO 3166-2:GB subdivision code) makes the GB-LAE organisation identifier that
360Giving asks for (org-id.guide list ``GB-LAE``), e.g. Newham is ``GB-LAE-NWM``.
"""

from __future__ import annotations

from typing import NamedTuple


class Borough(NamedTuple):
    ons_code: str
    name: str
    lae: str


BOROUGHS: tuple[Borough, ...] = (
    Borough("E09000001", "City of London", "LND"),
    Borough("E09000002", "Barking and Dagenham", "BDG"),
    Borough("E09000003", "Barnet", "BNE"),
    Borough("E09000004", "Bexley", "BEX"),
    Borough("E09000005", "Brent", "BEN"),
    Borough("E09000006", "Bromley", "BRY"),
    Borough("E09000007", "Camden", "CMD"),
    Borough("E09000008", "Croydon", "CRY"),
    Borough("E09000009", "Ealing", "EAL"),
    Borough("E09000010", "Enfield", "ENF"),
    Borough("E09000011", "Greenwich", "GRE"),
    Borough("E09000012", "Hackney", "HCK"),
    Borough("E09000013", "Hammersmith and Fulham", "HMF"),
    Borough("E09000014", "Haringey", "HRY"),
    Borough("E09000015", "Harrow", "HRW"),
    Borough("E09000016", "Havering", "HAV"),
    Borough("E09000017", "Hillingdon", "HIL"),
    Borough("E09000018", "Hounslow", "HNS"),
    Borough("E09000019", "Islington", "ISL"),
    Borough("E09000020", "Kensington and Chelsea", "KEC"),
    Borough("E09000021", "Kingston upon Thames", "KTT"),
    Borough("E09000022", "Lambeth", "LBH"),
    Borough("E09000023", "Lewisham", "LEW"),
    Borough("E09000024", "Merton", "MRT"),
    Borough("E09000025", "Newham", "NWM"),
    Borough("E09000026", "Redbridge", "RDB"),
    Borough("E09000027", "Richmond upon Thames", "RIC"),
    Borough("E09000028", "Southwark", "SWK"),
    Borough("E09000029", "Sutton", "STN"),
    Borough("E09000030", "Tower Hamlets", "TWH"),
    Borough("E09000031", "Waltham Forest", "WFT"),
    Borough("E09000032", "Wandsworth", "WND"),
    Borough("E09000033", "Westminster", "WSM"),
)

BY_ONS: dict[str, Borough] = {b.ons_code: b for b in BOROUGHS}
BY_NAME: dict[str, Borough] = {b.name.lower(): b for b in BOROUGHS}


def lae_identifier(ons_code: str) -> str | None:
    """The GB-LAE organisation identifier of a London council, or None if the code is not London's."""
    b = BY_ONS.get(ons_code)
    return f"GB-LAE-{b.lae}" if b else None
