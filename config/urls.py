from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ops import health, metrics

admin.site.site_header = "Accord Monitor"
admin.site.site_title = "Accord Monitor"
admin.site.index_title = "Agreements, reports and alerts"

api_v1 = ([path("", include("reports.api.urls")), path("", include("monitor.api.urls"))], "api")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its setup script as a file: no inline script for the CSP to allow.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("scorecards/", include("monitor.urls")),
    # The analyst's workspace (docs/explore.md): the explorer, the alert inbox, what changed.
    path("explore/", include("monitor.explore.urls")),
    path("alerts/", include("monitor.inbox.urls")),
    path("changes/", include("monitor.inbox.changes_urls")),
    # For load balancers and Prometheus: plain views, no session, no throttling (ops.health).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # Browsers ask every page's site for /favicon.ico; the admin's pages name no icon.
    path("favicon.ico", lambda request: redirect(static("favicon.svg")), name="favicon"),
    path("", RedirectView.as_view(pattern_name="scorecards:overview", permanent=False)),
]
