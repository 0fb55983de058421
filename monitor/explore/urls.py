from django.urls import path

from monitor.explore import exports, views

app_name = "explore"
urlpatterns = [
    path("", views.explore, name="explore"),
    path("observations/<int:pk>/", views.observation, name="observation"),
    # The map's clusters for the same filters plus zoom and bbox (docs/explore.md), and its
    # offline basemap (country outlines and admin-1 boundaries).
    path("clusters.json", views.clusters, name="clusters"),
    path("basemap.json", views.basemap, name="basemap"),
    # The explorer's filters, every matching row: csv (with an HXL row), geojson, xlsx.
    path("export.<str:fmt>", exports.export, name="export"),
]
