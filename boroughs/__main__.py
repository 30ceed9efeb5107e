"""``python -m boroughs`` runs the command line."""

from boroughs.app import main

main()
