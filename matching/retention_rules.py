"""When a legal event makes a subject's gallery record due for purging, and under which law.

One rule per kind of event. Citations name the statute and section the rule rests on, in
general terms; the agency's own retention schedule may say more, never less.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from matching.models import LegalEventKind

ICA = "Identification of Criminals Act, R.S.C. 1985, c. I-1"


@dataclass(frozen=True)
class RetentionRule:
    """``on_event_date``: due from the start of the event's date (which may lie ahead);
    otherwise due as soon as the event is recorded (its date may not lie ahead)."""

    rule_id: str
    kind: str
    citation: str
    on_event_date: bool


RULES: dict[str, RetentionRule] = {
    LegalEventKind.ACQUITTAL: RetentionRule(
        "R-ACQUITTAL",
        LegalEventKind.ACQUITTAL,
        f"{ICA}: photographs serve to identify persons charged with or convicted of offences; "
        "an acquittal ends that purpose",
        on_event_date=False,
    ),
    LegalEventKind.CHARGES_WITHDRAWN: RetentionRule(
        "R-WITHDRAWN",
        LegalEventKind.CHARGES_WITHDRAWN,
        f"{ICA}: photographs serve to identify persons charged with or convicted of offences; "
        "withdrawn charges end that purpose",
        on_event_date=False,
    ),
    LegalEventKind.CHARGES_STAYED: RetentionRule(
        "R-STAYED",
        LegalEventKind.CHARGES_STAYED,
        f"{ICA}: photographs serve to identify persons charged with or convicted of offences; "
        "stayed charges end that purpose",
        on_event_date=False,
    ),
    LegalEventKind.RECORD_SUSPENSION: RetentionRule(
        "R-RECORD-SUSPENSION",
        LegalEventKind.RECORD_SUSPENSION,
        "Criminal Records Act, R.S.C. 1985, c. C-47, s. 6(2): the judicial record of the "
        "conviction is kept separate and apart and not disclosed",
        on_event_date=False,
    ),
    LegalEventKind.YCJA_ACCESS_PERIOD_END: RetentionRule(
        "R-YCJA-ACCESS-PERIOD",
        LegalEventKind.YCJA_ACCESS_PERIOD_END,
        "Youth Criminal Justice Act, S.C. 2002, c. 1, ss. 119(2) and 128: once the period of "
        "access ends the record may not be used",
        on_event_date=True,
    ),
}


def rule_for(kind: str) -> RetentionRule:
    return RULES[kind]


def due_at(rule: RetentionRule, event_date: date, *, recorded_at: datetime) -> datetime:
    """Return when an event of ``rule`` dated ``event_date`` makes its subject due."""
    if rule.on_event_date:
        return timezone.make_aware(datetime.combine(event_date, time.min))
    return recorded_at


def date_refused(rule: RetentionRule, event_date: date) -> bool:
    """Return whether the date cannot be right: an event that has happened cannot lie ahead."""
    return not rule.on_event_date and event_date > timezone.localdate()
