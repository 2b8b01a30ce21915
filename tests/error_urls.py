"""The service's URL map plus two views that fail, to test the error handlers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class RaisingApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("secret detail")


def raising_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret detail")


urlpatterns = [
    *urlpatterns,
    path("api/v1/raise", RaisingApi.as_view()),
    path("api/v1/raise-plain", raising_view),
]
