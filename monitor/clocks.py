"""The two clocks of an evaluation (docs/time.md): ``as_of``, the moment the picture describes,
and ``known_at``, which filings count. Pure functions: whether a pair describes the past, and
which pairs may write alerts."""

import datetime as dt

# An evaluation is about the past, and its findings are retrospective alerts, when its as_of is
# earlier than its known_at by more than this; within it, it is about the present (a run a
# few minutes behind the clock is still a live one).
RETROSPECTIVE_MARGIN = dt.timedelta(hours=1)


def evaluation_is_retrospective(*, as_of: dt.datetime, known_at: dt.datetime) -> bool:
    """Whether a picture as of ``as_of``, counting what was filed by ``known_at``, describes
    the past (more than ``RETROSPECTIVE_MARGIN`` before ``known_at``)."""
    return known_at - as_of > RETROSPECTIVE_MARGIN


def clocks_check(*, as_of: dt.datetime, known_at: dt.datetime, now: dt.datetime) -> None:
    """Refuse clocks whose findings no alert may hold (ValueError, saying why): a ``known_at``
    in the future, an ``as_of`` after ``known_at``, or a picture of the present counted as it
    was known in the past (live alerts follow what is known now)."""
    if known_at > now + RETROSPECTIVE_MARGIN:
        raise ValueError(f"known_at {known_at:%Y-%m-%d %H:%M} is in the future.")
    if as_of > known_at + RETROSPECTIVE_MARGIN:
        raise ValueError(
            f"as_of {as_of:%Y-%m-%d %H:%M} is after known_at {known_at:%Y-%m-%d %H:%M}: "
            "nothing filed by then can describe it."
        )
    if not evaluation_is_retrospective(as_of=as_of, known_at=known_at) and (
        now - known_at > RETROSPECTIVE_MARGIN
    ):
        raise ValueError(
            f"known_at {known_at:%Y-%m-%d %H:%M} is in the past but as_of is not before it: "
            "live alerts follow what is known now; give an earlier as_of for a "
            "retrospective evaluation."
        )
