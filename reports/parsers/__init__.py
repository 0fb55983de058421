"""Report parsers, one module per format, found through a registry keyed by format code."""

from reports.parsers import csv_profile, hxl, json_report, xlsx  # noqa: F401  (registration)
from reports.parsers.base import PARSERS, ParsedPayload, PayloadProblem, get_parser, register

__all__ = ["PARSERS", "ParsedPayload", "PayloadProblem", "get_parser", "register"]
