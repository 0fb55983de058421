from django.urls import path

from monitor.inbox import views

app_name = "alerts"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.alert, name="alert"),
]
