from django.urls import path

from monitor.inbox import views

app_name = "changes"
urlpatterns = [path("", views.changes, name="changes")]
