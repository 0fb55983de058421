"""The rule catalogue: one module per rule, registered by code."""

from monitor.rules import (  # noqa: F401  (registration)
    access_restricted,
    deadline_missed,
    prerequisite_breached,
    single_source,
    stale_monitoring,
    unmonitored,
    violation_recorded,
    violation_surge,
)
from monitor.rules.base import RULES, Finding, Rule, register

__all__ = ["RULES", "Finding", "Rule", "register"]
