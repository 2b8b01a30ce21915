"""drf-spectacular's settings: how the OpenAPI schema describes the API (no imports of DRF)."""

from __future__ import annotations

from typing import Any

from policy.vocabulary import PURPOSES_PERMITTED, PURPOSES_PROHIBITED

OPA_SERVICE_SCHEME = "OpaServiceToken"

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Probity API",
    "DESCRIPTION": (
        "Compliance-gated face search for Canadian police agencies. Every search is decided by "
        "the agency's written Rego policy before any biometric processing; every candidate is "
        "an investigative lead awaiting human review. The agency of every request is the "
        'authenticated user\'s agency. Errors are `{"error": {"code", "message", '
        '"fields"?}}` with stable codes; another agency\'s object answers exactly like a '
        "missing one (404)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            OPA_SERVICE_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "description": "`Bearer <POLICY_BUNDLE_TOKEN>`, shared with the OPA servers.",
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "SearchStatusEnum": "matching.models.SearchStatus",
        "EnrollmentStatusEnum": "matching.models.EnrollmentStatus",
        "DispositionEnum": "matching.models.Disposition",
        "ReviewDispositionEnum": ["possible_match", "not_a_match", "inconclusive"],
        "RecordStatusEnum": "authorizations.models.RecordStatus",
        "FollowUpStateEnum": ["open", "completed", "all"],
        "WarrantKindEnum": ["search_warrant", "general_warrant", "production_order"],
        "PurposeEnum": [*PURPOSES_PERMITTED, *PURPOSES_PROHIBITED],
        "GrantedPurposeEnum": list(PURPOSES_PERMITTED),
        "InteragencyKindEnum": [
            "joint_forces_operation",
            "assistance_request",
            "information_sharing_agreement",
            "mlat",
            "international_arrangement",
        ],
        "FollowUpKindEnum": "matching.models.FollowUpKind",
        "WebhookEventEnum": "notifications.models.WebhookEvent",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
    },
}
