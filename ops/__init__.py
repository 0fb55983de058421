"""Operations: health and readiness probes, Prometheus metrics, worker heartbeats, the broker
transport, and the whole-project backup (``export_all`` / ``import_all``). A top layer: it
reads every app; no app imports it (docs/architecture.md)."""
