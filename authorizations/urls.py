"""REST routes for authority records: one set per kind, each documented with its own shapes."""

from django.urls import URLPattern, path

from authorizations.api import KIND_VIEWS

urlpatterns: list[URLPattern] = []
for _kind, _views in KIND_VIEWS.items():
    _base = f"authorities/{_kind}"
    _args = {"kind": _kind}
    urlpatterns += [
        path(_base, _views["collection"].as_view(), _args, name=f"{_kind}-collection"),
        path(f"{_base}/<str:record_id>", _views["detail"].as_view(), _args, name=f"{_kind}-detail"),
        path(
            f"{_base}/<str:record_id>/document",
            _views["document"].as_view(),
            _args,
            name=f"{_kind}-document",
        ),
        path(
            f"{_base}/<str:record_id>/verify",
            _views["verify"].as_view(),
            _args,
            name=f"{_kind}-verify",
        ),
        path(
            f"{_base}/<str:record_id>/revoke",
            _views["revoke"].as_view(),
            _args,
            name=f"{_kind}-revoke",
        ),
    ]
