"""The explorer's downloads (being built: issue 16)."""

from django.http import HttpResponse

from monitor.views import page


@page
def export(request, fmt: str):
    return HttpResponse("The explorer's exports are being built.", status=501)
