"""Linking a council's records into one view of each resident (Splink), clerical review and the linkage settings."""
