"""``python -m boroughs`` runs the command line."""

from boroughs.cli import main

main()
