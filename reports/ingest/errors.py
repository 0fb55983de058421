"""The two ways an ingest stops short of accepting a report."""

from reports.models import Report


class PayloadRejected(Exception):
    """The content is invalid: every problem listed (up to a cap), ``total`` counted."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        super().__init__("; ".join(errors[:3]))
        self.errors = errors
        self.total = total if total is not None else len(errors)


class DuplicateContent(Exception):
    """The content is already filed as ``report``: roll back, change nothing."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"same content as report {report.pk}")
        self.report = report
