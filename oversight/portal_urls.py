"""The portal's oversight pages."""

from django.urls import path

from oversight import views

app_name = "oversight"

urlpatterns = [
    path("statistics", views.StatisticsView.as_view(), name="statistics"),
    path("statistics.csv", views.StatisticsCsvView.as_view(), name="statistics_csv"),
    path("transparency", views.TransparencyView.as_view(), name="transparency"),
    path("transparency.pdf", views.TransparencyPdfView.as_view(), name="transparency_pdf"),
    path("exports", views.ExportsView.as_view(), name="exports"),
    path(
        "exports/<uuid:export_id>/progress",
        views.ExportProgressView.as_view(),
        name="export_progress",
    ),
    path(
        "exports/<uuid:export_id>/download",
        views.ExportDownloadView.as_view(),
        name="export_download",
    ),
    path("grants", views.GrantsView.as_view(), name="grants"),
]
