"""The explorer's pages (being built: issue 16)."""

from django.http import HttpResponse

from monitor.views import page


@page
def explore(request):
    return HttpResponse("The explorer is being built.", status=501)


@page
def observation(request, pk: int):
    return HttpResponse("The explorer is being built.", status=501)
