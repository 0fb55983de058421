from django.urls import path
from rest_framework.routers import SimpleRouter

from monitor.api import views
from monitor.api.agreements import AgreementViewSet, ClauseViewSet, MechanismViewSet

router = SimpleRouter(trailing_slash=True)
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("clauses", ClauseViewSet, basename="clause")
router.register("mechanisms", MechanismViewSet, basename="mechanism")
router.register("alerts", views.AlertViewSet, basename="alert")

urlpatterns = [
    path("alerts/changes/", views.AlertChangesView.as_view(), name="alert-changes"),
    path("scorecards/", views.OverviewView.as_view(), name="scorecard-overview"),
    path(
        "scorecards/agreements/<slug:code>/",
        views.AgreementScorecardView.as_view(),
        name="scorecard-agreement",
    ),
    path(
        "scorecards/parties/<slug:code>/",
        views.PartyScorecardView.as_view(),
        name="scorecard-party",
    ),
    *router.urls,
]
