"""The audit trail's reading side: an "Audit" section of the admin (docs/audit.md).

The history itself is written by django-simple-history into each app's historical tables
(core.history); this app only gives administrators one read-only place to read it.
"""
