from django.urls import path

from monitor.explore import exports, views

app_name = "explore"
urlpatterns = [
    path("", views.explore, name="explore"),
    path("observations/<int:pk>/", views.observation, name="observation"),
    # The explorer's filters, every matching row: csv (with an HXL row), geojson, xlsx.
    path("export.<str:fmt>", exports.export, name="export"),
]
