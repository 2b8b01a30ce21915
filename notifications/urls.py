"""REST routes for webhooks."""

from django.urls import path

from notifications import api

urlpatterns = [
    path("webhooks", api.WebhookCollectionApi.as_view(), name="webhook-collection"),
    path("webhooks/<str:webhook_id>/enable", api.WebhookEnableApi.as_view(), name="webhook-enable"),
    path(
        "webhooks/<str:webhook_id>/deliveries",
        api.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
]
