"""The alert inbox and "what changed" (being built: issue 16)."""

from django.http import HttpResponse

from monitor.views import page


@page
def inbox(request):
    return HttpResponse("The alert inbox is being built.", status=501)


@page
def alert(request, pk: int):
    return HttpResponse("The alert inbox is being built.", status=501)


@page
def changes(request):
    return HttpResponse("What changed is being built.", status=501)
