from django.urls import path

from monitor import views

app_name = "scorecards"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("agreements/<slug:code>/", views.agreement, name="agreement"),
    path("parties/<slug:code>/", views.party, name="party"),
    path("clauses/<int:pk>/", views.clause, name="clause"),
]
