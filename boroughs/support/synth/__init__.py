"""The synthetic borough population (seeded, labelled synthetic) and its harder variant for linkage quality."""
