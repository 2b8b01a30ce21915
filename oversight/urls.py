"""REST routes for oversight grants and scoped reads."""

from django.urls import path

from oversight import api

AGENCY = "oversight/agencies/<str:agency_id>"

urlpatterns = [
    path("oversight/grants", api.GrantListApi.as_view(), name="oversight-grants"),
    path(
        "oversight/grants/<str:grant_id>/revoke",
        api.GrantRevokeApi.as_view(),
        name="oversight-grant-revoke",
    ),
    path("oversight/agencies", api.ScopeApi.as_view(), name="oversight-scope"),
    path(f"{AGENCY}/audit-events", api.AuditEventsApi.as_view(), name="oversight-audit-events"),
    path(f"{AGENCY}/searches", api.SearchesApi.as_view(), name="oversight-searches"),
    path(f"{AGENCY}/decisions", api.DecisionsApi.as_view(), name="oversight-decisions"),
    path(
        f"{AGENCY}/deletion-certificates",
        api.DeletionCertificatesApi.as_view(),
        name="oversight-deletion-certificates",
    ),
    path(
        f"{AGENCY}/transparency-report",
        api.TransparencyReportApi.as_view(),
        name="oversight-transparency-report",
    ),
    path(
        f"{AGENCY}/transparency-report/pdf",
        api.TransparencyReportPdfApi.as_view(),
        name="oversight-transparency-report-pdf",
    ),
]

urlpatterns += [
    path("audit/exports", api.ExportListApi.as_view(), name="audit-exports"),
    path("audit/exports/<str:export_id>", api.ExportDetailApi.as_view(), name="audit-export"),
    path(
        "audit/exports/<str:export_id>/download",
        api.ExportDownloadApi.as_view(),
        name="audit-export-download",
    ),
    path("audit/public-key", api.PublicKeyApi.as_view(), name="audit-public-key"),
]
