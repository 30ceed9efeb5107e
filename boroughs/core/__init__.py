"""Shared domain: database, geography, organisations and users, sign-in, permissions, audit, governance.

``core`` imports nothing from the areas (``inclusion``, ``support``, ``fund``).
"""
