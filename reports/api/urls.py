from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/", views.ReportSubmitView.as_view(), name="report-submit"),
    path("reports/upload", views.ReportUploadView.as_view(), name="report-upload"),
    path("payloads/", views.PayloadListView.as_view(), name="payload-list"),
    path("payloads/<int:pk>/", views.PayloadDetailView.as_view(), name="payload-detail"),
]
