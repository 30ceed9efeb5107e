"""Concern forms (issue 17): VCS partners (signed in) and residents (the public form, no sign-in) raise a
concern about a resident into the council's queue. ``service`` holds the rules, ``routes`` the pages."""

from boroughs.support.concerns import permissions as _permissions  # registers the actions
from boroughs.support.concerns import subject_access as _subject_access  # its section of subject access

assert _permissions and _subject_access
