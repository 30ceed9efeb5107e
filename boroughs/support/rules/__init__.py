"""Early-warning rules: definitions as YAML, the vectorised evaluator, approval, the builder, fairness and ATRS."""
