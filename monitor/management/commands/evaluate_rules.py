import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import Agreement
from monitor.models import EvaluationRun
from monitor.rules import RULES
from monitor.services import alerts_reconcile, rules_evaluate


def _as_of(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CommandError(f'--as-of "{value}" is not a date (YYYY-MM-DD)') from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    # The end of that day: the data as it stood when the day was over.
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)


class Command(BaseCommand):
    help = (
        "Evaluate the rules now and update alerts, or --as-of a past date to see the "
        "findings as the data stood then (alerts are left as they are)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--agreement",
            action="append",
            dest="agreements",
            help="Agreement code (repeatable); default all.",
        )
        parser.add_argument("--as-of", help="YYYY-MM-DD or an ISO date-time.")
        parser.add_argument("--list", action="store_true", help="List every finding.")

    def handle(self, *args, agreements=None, as_of=None, **options):
        for code in agreements or []:
            if not Agreement.objects.filter(code=code).exists():
                raise CommandError(f'Unknown agreement "{code}".')
        moment = _as_of(as_of) if as_of else timezone.now()
        started = timezone.now()
        with CaptureQueriesContext(connection) as queries:
            evaluation = rules_evaluate(as_of=moment, agreement_codes=agreements)
            if not as_of:
                alerts_reconcile(evaluation=evaluation)
        if not as_of:
            EvaluationRun.objects.create(
                trigger=EvaluationRun.Trigger.COMMAND,
                started_at=started,
                finished_at=timezone.now(),
                as_of=moment,
                clauses=evaluation.clauses,
                findings=len(evaluation.findings),
                opened=evaluation.opened,
                updated=evaluation.updated,
                resolved=evaluation.resolved,
                queries=len(queries),
                summary={"per_rule": evaluation.per_rule},
            )
        elapsed = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"As of {moment:%Y-%m-%d %H:%M} UTC, {evaluation.clauses} clauses, "
            f"{elapsed:.2f} s, {len(queries)} queries"
        )
        self.stdout.write(f"{'rule':<32} {'findings':>8}")
        for code in RULES:
            self.stdout.write(f"{code:<32} {evaluation.per_rule.get(code, 0):>8}")
        if as_of:
            self.stdout.write("(as-of evaluation: alerts not changed)")
        else:
            self.stdout.write(
                f"alerts opened {evaluation.opened}, updated {evaluation.updated}, "
                f"resolved {evaluation.resolved}"
            )
        if options["list"]:
            for finding in sorted(evaluation.findings, key=lambda f: (f.rule, f.title)):
                self.stdout.write(f"- [{finding.rule}] {finding.explanation}")
