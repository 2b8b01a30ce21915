"""Policy reasons in the reader's language: one translatable message per reason code.

The English texts are the policy's own (``policy/rego/fr/baseline/reasons.rego``; a test keeps
them equal); the French ones live in the portal's catalogue. The legal authority is shown as the
policy cites it.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

AGREEMENT_PLACEHOLDER = "{agreement_id}"

REASON_MESSAGES: dict[str, Promise] = {
    "agency_not_law_enforcement": pgettext_lazy(
        "policy reason agency_not_law_enforcement",
        "FR search is limited to police agencies; oversight bodies review logs rather than run "
        "searches.",
    ),
    "agency_profile_invalid": pgettext_lazy(
        "policy reason agency_profile_invalid",
        "Agency registry data is inconsistent; jurisdiction cannot be determined.",
    ),
    "authority_exigent_circumstances": pgettext_lazy(
        "policy reason authority_exigent_circumstances",
        "Search proceeds under exigent circumstances; after-the-fact review required.",
    ),
    "authority_judicial_authorization": pgettext_lazy(
        "policy reason authority_judicial_authorization",
        "Search relies on a validated judicial authorization.",
    ),
    "authority_no_warrant_required": pgettext_lazy(
        "policy reason authority_no_warrant_required",
        "No judicial authorization required under the baseline matrix; authority is statutory or "
        "common-law (e.g. ICA gallery).",
    ),
    "case_number_missing": pgettext_lazy(
        "policy reason case_number_missing",
        "Every FR search must be tied to an occurrence/case number.",
    ),
    "exigent_approval_not_for_this_search": pgettext_lazy(
        "policy reason exigent_approval_not_for_this_search",
        "The exigent approval was granted for another case, another officer or another purpose.",
    ),
    "exigent_approval_stale": pgettext_lazy(
        "policy reason exigent_approval_stale",
        "Exigent approval is missing, future-dated or too old; exigency is time-limited.",
    ),
    "exigent_approver_not_supervisor": pgettext_lazy(
        "policy reason exigent_approver_not_supervisor",
        "Approver is not a supervisor of the requesting agency.",
    ),
    "exigent_category_ineligible": pgettext_lazy(
        "policy reason exigent_category_ineligible",
        "Only imminent risk to life or bodily harm qualifies for warrantless FR.",
    ),
    "exigent_no_supervisor_approval": pgettext_lazy(
        "policy reason exigent_no_supervisor_approval",
        "Exigent FR searches require contemporaneous supervisor approval.",
    ),
    "exigent_not_available_for_live_feed": pgettext_lazy(
        "policy reason exigent_not_available_for_live_feed",
        "Exigent circumstances cannot authorize real-time FR; a general warrant is required.",
    ),
    "exigent_reason_missing": pgettext_lazy(
        "policy reason exigent_reason_missing",
        "Record the facts making it impracticable to obtain judicial authorization.",
    ),
    "exigent_required_for_purpose": pgettext_lazy(
        "policy reason exigent_required_for_purpose",
        "imminent_threat_to_life searches require an approved exigent-circumstances claim.",
    ),
    "exigent_self_approved": pgettext_lazy(
        "policy reason exigent_self_approved",
        "The requesting officer cannot approve their own exigent search.",
    ),
    "fr_program_not_approved": pgettext_lazy(
        "policy reason fr_program_not_approved",
        "The FR program has not been approved by the agency's governing authority.",
    ),
    "gallery_legal_basis_unknown": pgettext_lazy(
        "policy reason gallery_legal_basis_unknown",
        "Gallery legal basis is unknown; lawful provenance must be established.",
    ),
    "gallery_order_scope_mismatch": pgettext_lazy(
        "policy reason gallery_order_scope_mismatch",
        "Material held under a judicial order may only be searched within that order's "
        "investigation.",
    ),
    "gallery_sharing_not_authorized": pgettext_lazy(
        "policy reason gallery_sharing_not_authorized",
        "Gallery belongs to another agency and is not shared with the requester under a documented "
        "agreement.",
    ),
    "gallery_unlawfully_sourced": pgettext_lazy(
        "policy reason gallery_unlawfully_sourced",
        "Gallery was built from images collected without lawful authority or consent (Clearview "
        "pattern).",
    ),
    "interagency_agreement_applied": pgettext_lazy(
        "policy reason interagency_agreement_applied",
        "Out-of-territory probe used under cooperation agreement {agreement_id}.",
    ),
    "interagency_agreement_invalid": pgettext_lazy(
        "policy reason interagency_agreement_invalid",
        "The cited cooperation agreement is expired or does not cover the probe's jurisdiction.",
    ),
    "justification_insufficient": pgettext_lazy(
        "policy reason justification_insufficient",
        "Record why FR is necessary and proportionate for this search.",
    ),
    "mfa_not_verified": pgettext_lazy(
        "policy reason mfa_not_verified",
        "Multi-factor authentication is required for biometric search.",
    ),
    "offence_below_seriousness_threshold": pgettext_lazy(
        "policy reason offence_below_seriousness_threshold",
        "Offence is below the seriousness threshold for FR.",
    ),
    "offence_missing": pgettext_lazy(
        "policy reason offence_missing",
        "Specify the offence under investigation.",
    ),
    "offence_summary_only": pgettext_lazy(
        "policy reason offence_summary_only",
        "FR against identification records is limited to indictable (including hybrid) offences.",
    ),
    "pia_not_completed": pgettext_lazy(
        "policy reason pia_not_completed",
        "A privacy impact assessment covering FR must be completed before use.",
    ),
    "probe_foreign_no_arrangement": pgettext_lazy(
        "policy reason probe_foreign_no_arrangement",
        "Foreign-sourced probe requires a treaty or international arrangement.",
    ),
    "probe_outside_agency_territory": pgettext_lazy(
        "policy reason probe_outside_agency_territory",
        "Probe was collected outside the agency's province and no cooperation agreement covers it.",
    ),
    "probe_outside_municipality_notice": pgettext_lazy(
        "policy reason probe_outside_municipality_notice",
        "Probe collected outside the service's municipal area; supervisor notified.",
    ),
    "probe_source_unknown": pgettext_lazy(
        "policy reason probe_source_unknown",
        "Unrecognized probe source.",
    ),
    "probe_timestamp_invalid": pgettext_lazy(
        "policy reason probe_timestamp_invalid",
        "Probe capture time is after the decision time; metadata integrity failure.",
    ),
    "probe_unlawful_source": pgettext_lazy(
        "policy reason probe_unlawful_source",
        "Probe images obtained by bulk scraping are unlawfully collected and may not be used.",
    ),
    "purpose_gallery_incompatible": pgettext_lazy(
        "policy reason purpose_gallery_incompatible",
        "This gallery was collected for a purpose incompatible with the requested use.",
    ),
    "purpose_not_permitted_for_agency": pgettext_lazy(
        "policy reason purpose_not_permitted_for_agency",
        "National-security FR searches are reserved to federal police; use criminal_investigation "
        "under a joint-forces (INSET) agreement.",
    ),
    "purpose_offence_mismatch": pgettext_lazy(
        "policy reason purpose_offence_mismatch",
        "Declared purpose does not match the offence.",
    ),
    "purpose_prohibited": pgettext_lazy(
        "policy reason purpose_prohibited",
        "Purpose is prohibited for police FR.",
    ),
    "purpose_unknown": pgettext_lazy(
        "policy reason purpose_unknown",
        "Unrecognized purpose; choose a purpose from the controlled vocabulary.",
    ),
    "qc_cai_disclosure_missing": pgettext_lazy(
        "policy reason qc_cai_disclosure_missing",
        "Biometric database/process has not been disclosed to the Commission d'accès à "
        "l'information.",
    ),
    "qc_express_consent_missing": pgettext_lazy(
        "policy reason qc_express_consent_missing",
        "Consent-based biometric identification in Quebec requires express consent.",
    ),
    "request_malformed": pgettext_lazy(
        "policy reason request_malformed",
        "Request is malformed or contains an unparsable timestamp; no biometric processing "
        "performed.",
    ),
    "segregation_of_duties_conflict": pgettext_lazy(
        "policy reason segregation_of_duties_conflict",
        "Auditors/compliance officers may not also run searches they oversee.",
    ),
    "training_expired": pgettext_lazy(
        "policy reason training_expired",
        "FR training certification has expired.",
    ),
    "training_not_completed": pgettext_lazy(
        "policy reason training_not_completed",
        "FR training (including bias/accuracy limits) must be completed before searching.",
    ),
    "user_agency_mismatch": pgettext_lazy(
        "policy reason user_agency_mismatch",
        "User is not a member of the agency in whose name the search is requested.",
    ),
    "user_role_not_permitted": pgettext_lazy(
        "policy reason user_role_not_permitted",
        "Role is not authorized to run FR searches.",
    ),
    "warrant_applicant_agency_mismatch": pgettext_lazy(
        "policy reason warrant_applicant_agency_mismatch",
        "Authorization was obtained by another agency that is not a partner in this investigation.",
    ),
    "warrant_case_mismatch": pgettext_lazy(
        "policy reason warrant_case_mismatch",
        "Authorization was issued for a different investigation.",
    ),
    "warrant_expired": pgettext_lazy(
        "policy reason warrant_expired",
        "Authorization has expired.",
    ),
    "warrant_incomplete": pgettext_lazy(
        "policy reason warrant_incomplete",
        "Authorization details are incomplete and cannot be verified.",
    ),
    "warrant_issuer_not_canadian": pgettext_lazy(
        "policy reason warrant_issuer_not_canadian",
        "Only a Canadian judicial authorization can authorize a search in Canada.",
    ),
    "warrant_issuing_jurisdiction_mismatch": pgettext_lazy(
        "policy reason warrant_issuing_jurisdiction_mismatch",
        "Authorization was issued in another province and is not endorsed for this agency's "
        "province.",
    ),
    "warrant_kind_insufficient": pgettext_lazy(
        "policy reason warrant_kind_insufficient",
        "The type of authorization supplied cannot authorize this technique.",
    ),
    "warrant_kind_unknown": pgettext_lazy(
        "policy reason warrant_kind_unknown",
        "Unrecognized authorization type for FR.",
    ),
    "warrant_not_yet_valid": pgettext_lazy(
        "policy reason warrant_not_yet_valid",
        "Authorization was issued after the search time.",
    ),
    "warrant_purpose_out_of_scope": pgettext_lazy(
        "policy reason warrant_purpose_out_of_scope",
        "Requested purpose is outside the scope of the authorization.",
    ),
    "warrant_required_missing": pgettext_lazy(
        "policy reason warrant_required_missing",
        "Judicial authorization is required for this search (see the warrant matrix) and none was "
        "supplied.",
    ),
    "warrant_window_invalid": pgettext_lazy(
        "policy reason warrant_window_invalid",
        "Authorization validity window is invalid.",
    ),
    "ycja_access_period_unverified": pgettext_lazy(
        "policy reason ycja_access_period_unverified",
        "Gallery must exclude youth records whose YCJA access period has expired.",
    ),
    "ycja_purpose_not_permitted": pgettext_lazy(
        "policy reason ycja_purpose_not_permitted",
        "Youth records may be accessed by police only for law-enforcement purposes during the "
        "access period.",
    ),
}


def reason_message(reason: dict[str, Any], *, agreement_id: str = "") -> str:
    """Return the reason's message in the active language; an unknown code keeps the policy's."""
    code = str(reason.get("code", ""))
    message = REASON_MESSAGES.get(code)
    if message is None:
        return str(reason.get("message", code))
    return str(message).replace(AGREEMENT_PLACEHOLDER, agreement_id or "—")
