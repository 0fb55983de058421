"""Compliance scorecards: the figures the scorecard pages and the API both show, as typed
read models (``cards``) returned by reads named as reads.

- ``agreement``: ``agreement_scorecard`` and its weekly ``period_figures``;
- ``party``: ``party_scorecard`` and ``party_violations``;
- ``overview``: ``agreements_overview``;
- ``levels``: the implementation rate and the analysts' latest levels.
"""
