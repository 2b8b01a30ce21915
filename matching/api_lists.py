"""The matching API's lists: searches, enrollment batches, subjects and follow-ups.

Each list is cursor-paginated (``cursor``, ``page_size``, ``ordering``), filtered by query
parameters validated like any input, limited to the caller's agency and to the scope the
caller's roles give (``tenants.need_to_know``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api import AgencyApi, GallerySubjectsApi, SearchCreateApi
from matching.list_selectors import (
    ListFilters,
    enrollment_batch_list,
    follow_up_list_query,
    search_list,
    subject_list,
)
from matching.models import EnrollmentStatus, FollowUpKind, SearchStatus
from matching.outputs import (
    EnrollmentBatchOutput,
    FollowUpOutput,
    SearchSummaryOutput,
    SubjectOutput,
)
from policy.vocabulary import PURPOSES_PERMITTED, PURPOSES_PROHIBITED
from tenants.api_schema import error_responses, path_str
from tenants.context import agency_transaction
from tenants.need_to_know import list_scope
from tenants.pagination import (
    NEWEST_FIRST,
    PAGING,
    OrderedCursorPagination,
    ordering_parameter,
    page_serializer,
)


class CreatedRangeFilter(serializers.Serializer[Any]):
    created_after = serializers.DateTimeField(
        required=False, help_text="Created at or after (RFC 3339)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Created before (RFC 3339)."
    )


def list_filters(request: Request, form_class: type[serializers.Serializer[Any]]) -> ListFilters:
    """Validate a list's query parameters; a bad one is a 400 like any bad field."""
    form = form_class(data=request.query_params)
    form.is_valid(raise_exception=True)
    return ListFilters(**{k: v for k, v in form.validated_data.items() if v not in (None, "")})  # type: ignore[typeddict-item]


class SearchListFilter(CreatedRangeFilter):
    status = serializers.ChoiceField(choices=SearchStatus.choices, required=False)
    purpose = serializers.ChoiceField(
        choices=PURPOSES_PERMITTED + PURPOSES_PROHIBITED, required=False
    )
    case_number = serializers.CharField(required=False, max_length=100)
    requested_by = serializers.CharField(
        required=False, max_length=150, help_text="The requester's username."
    )
    gallery = serializers.SlugField(required=False, max_length=60)


class SearchCollectionApi(SearchCreateApi):
    """``/api/v1/searches``: list (GET) or submit (POST)."""

    @extend_schema(
        operation_id="search_list",
        tags=["searches"],
        summary="The agency's searches (investigators and analysts: their own)",
        parameters=[SearchListFilter, *PAGING, ordering_parameter(NEWEST_FIRST)],
        responses={
            200: page_serializer("SearchPage", SearchSummaryOutput(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        user = self.acting_user(request)
        agency = self.acting_agency(request)
        scope = list_scope(user=user, entity="searches")
        filters = list_filters(request, SearchListFilter)
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(agency.id):
            rows = pages.page_rows(
                search_list(agency=agency, user=user, scope=scope, filters=filters), request
            )
            return pages.response(SearchSummaryOutput(rows, many=True).data)


class EnrollmentListFilter(CreatedRangeFilter):
    status = serializers.ChoiceField(choices=EnrollmentStatus.choices, required=False)
    gallery = serializers.SlugField(required=False, max_length=60)
    requested_by = serializers.CharField(
        required=False, max_length=150, help_text="The username of who enrolled."
    )


class EnrollmentListApi(AgencyApi):
    """``GET /api/v1/enrollments``."""

    @extend_schema(
        operation_id="enrollment_list",
        tags=["galleries"],
        summary="The agency's enrollment batches (agency admins, compliance, auditors)",
        parameters=[EnrollmentListFilter, *PAGING, ordering_parameter(NEWEST_FIRST)],
        responses={
            200: page_serializer("EnrollmentPage", EnrollmentBatchOutput(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        agency = self.acting_agency(request)
        list_scope(user=self.acting_user(request), entity="enrollment_batches")
        filters = list_filters(request, EnrollmentListFilter)
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(agency.id):
            rows = pages.page_rows(enrollment_batch_list(agency=agency, filters=filters), request)
            return pages.response(EnrollmentBatchOutput(rows, many=True).data)


class SubjectListFilter(CreatedRangeFilter):
    ref = serializers.CharField(required=False, max_length=120)


class GallerySubjectCollectionApi(GallerySubjectsApi):
    """``/api/v1/galleries/{id}/subjects``: list (GET) or enroll (POST)."""

    @extend_schema(
        operation_id="gallery_subject_list",
        tags=["galleries"],
        summary="The subjects enrolled in a gallery (agency admins, compliance, auditors)",
        parameters=[
            path_str("gallery_id", "The gallery's id (slug)."),
            SubjectListFilter,
            *PAGING,
            ordering_parameter(NEWEST_FIRST),
        ],
        responses={
            200: page_serializer("SubjectPage", SubjectOutput(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request, gallery_id: str) -> Response:
        agency = self.acting_agency(request)
        list_scope(user=self.acting_user(request), entity="subjects")
        filters = list_filters(request, SubjectListFilter)
        filters["gallery"] = gallery_id
        pages = OrderedCursorPagination(choices=NEWEST_FIRST, default=NEWEST_FIRST[0])
        with agency_transaction(agency.id):
            rows = pages.page_rows(subject_list(agency=agency, filters=filters), request)
            return pages.response(SubjectOutput(rows, many=True).data)


DUE_FIRST = ("due_at", "-due_at", "-created_at", "created_at")


class FollowUpListFilter(CreatedRangeFilter):
    status = serializers.ChoiceField(
        choices=["open", "completed", "all"], required=False, default="open"
    )
    kind = serializers.ChoiceField(choices=FollowUpKind.choices, required=False)
    case_number = serializers.CharField(required=False, max_length=100)


class FollowUpListApi(AgencyApi):
    """``GET /api/v1/follow-ups``: tasks the obligations created."""

    @extend_schema(
        operation_id="follow_up_list",
        tags=["follow-ups"],
        summary="The agency's follow-ups, open ones by default (supervisors, compliance)",
        parameters=[FollowUpListFilter, *PAGING, ordering_parameter(DUE_FIRST)],
        responses={
            200: page_serializer("FollowUpPage", FollowUpOutput(many=True)),
            **error_responses(400, 403),
        },
    )
    def get(self, request: Request) -> Response:
        agency = self.acting_agency(request)
        list_scope(user=self.acting_user(request), entity="follow_ups")
        filters = list_filters(request, FollowUpListFilter)
        pages = OrderedCursorPagination(choices=DUE_FIRST, default=DUE_FIRST[0])
        with agency_transaction(agency.id):
            rows = pages.page_rows(follow_up_list_query(agency=agency, filters=filters), request)
            return pages.response(FollowUpOutput(rows, many=True).data)
