import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import Agreement
from core.days import end_of_day, zone_or_utc
from core.params import ParameterError, known_at_param
from monitor.clocks import clocks_check
from monitor.models import EvaluationRun
from monitor.rules import RULES
from monitor.rules.base import long_date
from monitor.services import alerts_reconcile, evaluation_record, rules_evaluate


def _moment(option: str, value: str) -> dt.datetime:
    """A date (the end of that day in UTC: the data as it stood when the day was over) or a
    date and time, read as the API reads ``known_at``."""
    try:
        moment = known_at_param({option: value}, option)
    except ParameterError:
        raise CommandError(
            f'{option} "{value}" is not a date (YYYY-MM-DD) or a date and time '
            "(YYYY-MM-DDTHH:MM, UTC)"
        ) from None
    assert moment is not None  # the value is not empty
    return moment


def _as_of(value: str, agreements: list[str] | None) -> dt.datetime:
    """``--as-of``: a day ends where the agreements' days end when they share a zone (the
    scorecards read a day so), else in UTC; a date and time is taken as given."""
    moment = _moment("--as-of", value)
    if "T" in value or not agreements:
        return moment
    zones = set(Agreement.objects.filter(code__in=agreements).values_list("time_zone", flat=True))
    if len(zones) != 1:
        return moment
    return end_of_day(moment.date(), zone_or_utc(zones.pop())) - dt.timedelta(seconds=1)


class Command(BaseCommand):
    help = (
        "Evaluate the rules now and update the live alerts; or --as-of a past date to find "
        "what the data (as filed by --known-at, default now) shows about that date, written "
        "as retrospective alerts about it (live alerts are left as they are). --dry-run "
        "writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--agreement",
            action="append",
            dest="agreements",
            help="Agreement code (repeatable); default all.",
        )
        parser.add_argument(
            "--as-of",
            help="The moment described: YYYY-MM-DD (the end of that day: in the agreements' "
            "zone when every --agreement shares one, else UTC) or YYYY-MM-DDTHH:MM (UTC). "
            "Default: --known-at.",
        )
        parser.add_argument(
            "--known-at",
            help="What had been filed by then counts: YYYY-MM-DD (end of day, UTC) or "
            "YYYY-MM-DDTHH:MM. Default: now.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Find, but change no alert.")
        parser.add_argument("--list", action="store_true", help="List every finding.")

    def handle(self, *args, agreements=None, as_of=None, known_at=None, dry_run=False, **options):
        for code in agreements or []:
            if not Agreement.objects.filter(code=code).exists():
                raise CommandError(f'Unknown agreement "{code}".')
        started = timezone.now()
        # "Today" means as far as today has gone: the end of the day has not happened yet.
        counted = min(_moment("--known-at", known_at), started) if known_at else started
        moment = min(_as_of(as_of, agreements), counted) if as_of else counted
        if not dry_run:
            try:
                clocks_check(as_of=moment, known_at=counted, now=started)
            except ValueError as exc:
                raise CommandError(f"{exc} (--dry-run only shows the findings.)") from None
        with CaptureQueriesContext(connection) as queries:
            evaluation = rules_evaluate(as_of=moment, known_at=counted, agreement_codes=agreements)
            if not dry_run:
                alerts_reconcile(evaluation=evaluation)
        if not dry_run:
            evaluation_record(
                evaluation=evaluation,
                trigger=EvaluationRun.Trigger.COMMAND,
                started=started,
                agreement_codes=agreements,
                queries=len(queries),
            )
        self._report(evaluation, started, len(queries), dry_run, options["list"])

    def _report(self, evaluation, started, queries: int, dry_run: bool, listing: bool) -> None:
        elapsed = (timezone.now() - started).total_seconds()
        moment, counted = evaluation.as_of, evaluation.known_at
        self.stdout.write(
            f"As of {moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC, {evaluation.clauses} clauses, "
            f"{elapsed:.2f} s, {queries} queries"
        )
        if evaluation.retrospective:
            self.stdout.write(
                f"Describes {long_date(moment)}, counting what was filed by "
                f"{counted:%Y-%m-%d %H:%M} UTC: a retrospective evaluation."
            )
        self.stdout.write(f"{'rule':<32} {'findings':>8}")
        for code in RULES:
            self.stdout.write(f"{code:<32} {evaluation.per_rule.get(code, 0):>8}")
        changes = (
            f"opened {evaluation.opened}, updated {evaluation.updated}, "
            f"resolved {evaluation.resolved}"
        )
        if dry_run:
            self.stdout.write("(dry run: alerts not changed)")
        elif evaluation.retrospective:
            self.stdout.write(
                f"retrospective alerts about {long_date(moment)}: {changes} "
                "(live alerts not changed)"
            )
        else:
            self.stdout.write(f"alerts {changes}")
        if listing:
            for finding in sorted(evaluation.findings, key=lambda f: (f.rule, f.title)):
                self.stdout.write(f"- [{finding.rule}] {finding.explanation}")
