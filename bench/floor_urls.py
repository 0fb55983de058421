"""The project's URLs plus a minimal DRF view that returns a constant (the framework's floor),
behind the same authentication and throttling."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class Floor(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/floor/", Floor.as_view()), path("", include("config.urls"))]
