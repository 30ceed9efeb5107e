"""The inclusion area: the small-area index of digital exclusion, its map, and need against provision."""

from boroughs.core.area import Area

AREA = Area(
    name="inclusion",
    title="Digital inclusion: the small-area index of digital exclusion, its map, and provision.",
    package=__name__,
    routes="boroughs.inclusion.web.routes",
    cli="boroughs.inclusion.cli:app",
    demo="boroughs.inclusion.demo:seed_demo",
    datasets=("boroughs.inclusion.sources",),
)
