"""The project's library: no models, no imports of the apps above it (docs/architecture.md).

API helpers (errors, pagination, filters), renderers, and strict environment parsing.
"""
