"""The demo: the shipped agreements with missions, users and months of reports (``load_demo``),
and the synthetic load the benchmarks use (``generate_load``). A top layer: it may import every
app, and no app imports it (docs/architecture.md)."""
