"""Early-warning rules: definitions as YAML, the vectorised evaluator, approval, the builder, and the rule signals other parts add."""

from boroughs.support.rules import permissions as _permissions  # registers the actions
from boroughs.support.rules import subject_access as _subject_access  # its section of subject access

assert _permissions and _subject_access
