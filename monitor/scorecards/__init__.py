"""Compliance scorecards: the figures the scorecard pages and the API both show, as typed
read models (``cards``) returned by reads named as reads, each on two clocks (``picture``:
the period and ``as_of`` a card shows, and ``known_at``; docs/scorecards.md).

- ``picture``: an agreement's active life and the defaults of what a card shows;
- ``agreement``: ``agreement_scorecard``; its weekly figures in ``figures``;
- ``party``: ``party_scorecard``, each agreement over its own period;
- ``overview``: ``agreements_overview``, each agreement over its own active period;
- ``levels``: the implementation rate and the analysts' latest levels;
- ``buckets``: calendar buckets that keep a chart of a long life readable.
"""
