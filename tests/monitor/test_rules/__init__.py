"""Each rule on its edge cases, evaluated as of a fixed moment (rules_evaluate writes nothing)."""
