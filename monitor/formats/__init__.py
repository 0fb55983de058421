"""Renderings of alerts in standard exchange formats (CAP 1.2, ...); pure functions, no queries."""
