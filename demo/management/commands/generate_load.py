import time

from django.core.management.base import BaseCommand

from demo.loadgen import load_generate


class Command(BaseCommand):
    help = "Create a synthetic, reproducible data set for benchmarks (not real agreements)."

    def add_arguments(self, parser):
        parser.add_argument("--agreements", type=int, default=5)
        parser.add_argument("--clauses", type=int, default=500, help="In all agreements together.")
        parser.add_argument("--observations", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--months", type=int, default=6)

    def handle(self, *args, **options):
        started = time.perf_counter()
        summary = load_generate(
            agreements=options["agreements"],
            clauses=options["clauses"],
            observations=options["observations"],
            seed=options["seed"],
            months=options["months"],
        )
        self.stdout.write(
            f"{summary.agreements} agreements, {summary.clauses} clauses "
            f"({summary.unmonitored_clauses} unmonitored), {summary.mechanisms} mechanisms, "
            f"{summary.missions} missions, {summary.reports} reports, "
            f"{summary.observations} observations in {time.perf_counter() - started:.1f} s"
        )
