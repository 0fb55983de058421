from django.urls import path
from rest_framework.routers import SimpleRouter

from reports.api import evidence, reads, views

router = SimpleRouter(trailing_slash=True)
router.register("missions", reads.MissionViewSet, basename="mission")
router.register("observations", reads.ObservationViewSet, basename="observation")

report_list = reads.ReportViewSet.as_view({"get": "list"})
report_detail = reads.ReportViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    path("reports/", views.ReportSubmitView.as_view(), name="report-submit"),
    path("reports/upload", views.ReportUploadView.as_view(), name="report-upload"),
    path("reports/<int:pk>/", report_detail, name="report-detail"),
    path(
        "reports/<int:pk>/evidence/",
        evidence.ReportEvidenceView.as_view(),
        name="report-evidence",
    ),
    path("evidence/<int:pk>/", evidence.EvidenceDownloadView.as_view(), name="evidence-download"),
    path(
        "missions/<str:code>/evidence/",
        evidence.MissionEvidenceView.as_view(),
        name="mission-evidence",
    ),
    path("payloads/", views.PayloadListView.as_view(), name="payload-list"),
    path("payloads/<int:pk>/", views.PayloadDetailView.as_view(), name="payload-detail"),
    *router.urls,
]
