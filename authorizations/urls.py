"""REST routes for authority records."""

from django.urls import path

from authorizations import api

KIND = "<str:kind>"

urlpatterns = [
    path(f"authorities/{KIND}", api.RecordCreateApi.as_view(), name="record-create"),
    path(f"authorities/{KIND}/<str:record_id>", api.RecordDetailApi.as_view(),
         name="record-detail"),
    path(f"authorities/{KIND}/<str:record_id>/document", api.RecordDocumentApi.as_view(),
         name="record-document"),
    path(f"authorities/{KIND}/<str:record_id>/verify", api.RecordVerifyApi.as_view(),
         name="record-verify"),
    path(f"authorities/{KIND}/<str:record_id>/revoke", api.RecordRevokeApi.as_view(),
         name="record-revoke"),
]
