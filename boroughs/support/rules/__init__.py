"""Early-warning rules: definitions as YAML, the vectorised evaluator, approval, the builder, fairness and ATRS."""

from boroughs.support.rules import permissions as _permissions  # registers the actions

assert _permissions
