"""An example area: housing repairs. Its package declares the one ``AREA`` record; everything else
(pages, commands) is named by a dotted reference and imported only when the app or the CLI is built."""

from boroughs.core.area import Area

AREA = Area(
    name="housing",  # the URL prefix, the CLI group (`boroughs housing`) and the templates folder
    title="Housing: repairs and their priority.",
    package=__name__,
    routes="housing.routes",  # an APIRouter named `router`, and NAV
    cli="housing.cli:app",  # a Typer app
)
