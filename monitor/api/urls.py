from django.urls import path
from rest_framework.routers import SimpleRouter

from monitor.api.agreements import AgreementViewSet, ClauseViewSet, MechanismViewSet
from monitor.api.alerts import AlertViewSet
from monitor.api.changes import AlertChangesView
from monitor.api.scorecards import AgreementScorecardView, OverviewView, PartyScorecardView

router = SimpleRouter(trailing_slash=True)
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("clauses", ClauseViewSet, basename="clause")
router.register("mechanisms", MechanismViewSet, basename="mechanism")
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns = [
    path("alerts/changes/", AlertChangesView.as_view(), name="alert-changes"),
    path("scorecards/", OverviewView.as_view(), name="scorecard-overview"),
    path(
        "scorecards/agreements/<slug:code>/",
        AgreementScorecardView.as_view(),
        name="scorecard-agreement",
    ),
    path("scorecards/parties/<slug:code>/", PartyScorecardView.as_view(), name="scorecard-party"),
    *router.urls,
]
