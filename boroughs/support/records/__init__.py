"""The resident register that every part of support shares: imported source records, their history, and the linked residents."""
