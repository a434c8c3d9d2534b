"""Writing the roadmaps: operations added or edited, dossiers linked, follow-up meetings and their
decisions. Every change locks the roadmap's row, applies, and writes the next `RoadmapVersion` with the
whole list of operations and what changed, in one transaction; a refusal raises ValidationError or
PermissionDenied with a sentence and changes nothing."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.models import Contract, Dossier
from dossiers.money import ZERO
from roadmaps.enums import DecisionKind, OperationStatus, Priority
from roadmaps.models import FollowUpMeeting, MeetingDecision, Roadmap, RoadmapOperation, RoadmapVersion
from workflows.enums import COMMITTED_STATES, DossierState
from workflows.permissions import is_administrator, officer_territory_ids, representative_territory_ids

# What a roadmap version keeps of each operation.
SNAPSHOT_FIELDS = (
    "number",
    "title",
    "sponsor_name",
    "axis",
    "estimated_cost",
    "expected_support",
    "expected_year",
    "priority",
    "status",
)


def roadmap_territory_ids(user) -> frozenset[int]:
    """The territories whose roadmaps and follow-up meetings the user sees and edits: those they
    instruct as an officer and those they follow as an elected representative."""
    return officer_territory_ids(user) | representative_territory_ids(user)


def can_edit_roadmap(user, roadmap: Roadmap) -> bool:
    """The territory's officers and elected representatives, and the administrators: they see the
    roadmap, edit it and prepare its meetings. Nobody else sees anything of it."""
    return is_administrator(user) or roadmap.contract.territory_id in roadmap_territory_ids(user)


can_view_roadmap = can_edit_roadmap


def follows_roadmaps(user) -> bool:
    """Whether the roadmaps' and meetings' pages are for the user at all: the administrators, and the
    officers and elected representatives of at least one territory."""
    return is_administrator(user) or bool(roadmap_territory_ids(user))


def roadmap_for_contract(contract: Contract) -> Roadmap:
    return Roadmap.objects.get_or_create(contract=contract)[0]


def _operation_facts(operation: RoadmapOperation) -> dict:
    facts = {name: getattr(operation, name) for name in SNAPSHOT_FIELDS}
    facts["estimated_cost"] = str(operation.estimated_cost)
    facts["expected_support"] = str(operation.expected_support)
    facts["sponsor"] = operation.sponsor.name if operation.sponsor_id else operation.sponsor_name
    facts["theme"] = operation.theme.label
    facts["dossier"] = operation.dossier.reference if operation.dossier_id else ""
    return facts


def _write_version(roadmap: Roadmap, actor, changes: list[dict], *, meeting=None, reason="") -> RoadmapVersion:
    roadmap.version += 1
    roadmap.save(update_fields=["version"])
    operations = RoadmapOperation.objects.filter(roadmap=roadmap).select_related("sponsor", "theme", "dossier")
    return RoadmapVersion.objects.create(
        roadmap=roadmap,
        number=roadmap.version,
        meeting=meeting,
        created_by=actor,
        reason=reason,
        operations=[_operation_facts(operation) for operation in operations.order_by("number")],
        changes=changes,
    )


def locked_roadmap(roadmap: Roadmap, actor) -> Roadmap:
    locked = Roadmap.objects.select_for_update().select_related("contract").get(pk=roadmap.pk)
    if not can_edit_roadmap(actor, locked):
        raise PermissionDenied(
            _("Only the territory's officers and elected representatives edit its contract's roadmap.")
        )
    return locked


def _check_amounts(estimated_cost: Decimal, expected_support: Decimal) -> None:
    if estimated_cost < ZERO or expected_support < ZERO or expected_support > estimated_cost:
        raise ValidationError(
            _("The expected support must be between zero and the estimated cost."), code="invalid_amounts"
        )


@dataclass(frozen=True)
class NewOperation:
    title: str
    theme: object
    estimated_cost: Decimal
    expected_support: Decimal
    expected_year: int
    axis: str = ""
    priority: str = Priority.MEDIUM
    sponsor: object = None
    sponsor_name: str = ""


def _add(roadmap: Roadmap, new: NewOperation) -> RoadmapOperation:
    if not new.title.strip():
        raise ValidationError(_("An operation needs a title."), code="title_required")
    _check_amounts(new.estimated_cost, new.expected_support)
    number = (RoadmapOperation.objects.filter(roadmap=roadmap).aggregate(top=Max("number"))["top"] or 0) + 1
    return RoadmapOperation.objects.create(roadmap=roadmap, number=number, **new.__dict__)


def operation_add(*, roadmap: Roadmap, actor, operation: NewOperation, reason: str = "") -> RoadmapOperation:
    """Adds an operation to the roadmap (outside a meeting), as a new version."""
    with transaction.atomic():
        locked = locked_roadmap(roadmap, actor)
        created = _add(locked, operation)
        _write_version(
            locked, actor, [{"kind": "add", "number": created.number, "title": created.title}], reason=reason
        )
    return created


def status_for_dossier(dossier: Dossier) -> str:
    """The status of the operation a dossier realises, from the dossier's state."""
    if dossier.state == DossierState.DRAFT:
        return OperationStatus.UNDER_CONSTRUCTION
    if dossier.state in (DossierState.WITHDRAWN, DossierState.LAPSED):
        return OperationStatus.ABANDONED
    if dossier.state in (DossierState.PAID, DossierState.CLOSED):
        return OperationStatus.COMPLETED
    if dossier.state in COMMITTED_STATES:
        return OperationStatus.FUNDED
    return OperationStatus.FILED


def operation_link_dossier(*, operation: RoadmapOperation, dossier: Dossier, actor) -> RoadmapOperation:
    """Links the dossier that realises the operation (a dossier of the same contract, not linked to
    another operation); the operation takes the status of the dossier's step, then follows it."""
    with transaction.atomic():
        roadmap = locked_roadmap(operation.roadmap, actor)
        locked = RoadmapOperation.objects.select_for_update().get(pk=operation.pk)
        dossier = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        if dossier.contract_id != roadmap.contract_id:
            raise ValidationError(_("The dossier belongs to another contract."), code="other_contract")
        if locked.dossier_id is not None:
            raise ValidationError(_("The operation is already realised by a dossier."), code="already_linked")
        if RoadmapOperation.objects.filter(dossier=dossier).exists():
            raise ValidationError(_("The dossier already realises another operation."), code="dossier_linked")
        locked.dossier, locked.status, locked.updated_at = dossier, status_for_dossier(dossier), timezone.now()
        locked.save(update_fields=["dossier", "status", "updated_at"])
        _write_version(
            roadmap,
            actor,
            [{"kind": "link", "number": locked.number, "dossier": dossier.reference, "status": locked.status}],
        )
    return locked


# What an edit outside a meeting may change; the status only between these two, before any dossier.
EDITABLE_FIELDS = (
    "title",
    "sponsor",
    "sponsor_name",
    "theme",
    "axis",
    "priority",
    "estimated_cost",
    "expected_support",
    "expected_year",
    "status",
)
STATUSES_BEFORE_A_DOSSIER = frozenset({OperationStatus.IDENTIFIED, OperationStatus.UNDER_CONSTRUCTION})


def _fact(name: str, value):
    """A field's value as a version records it."""
    if name == "sponsor":
        return value.name if value is not None else ""
    if name == "theme":
        return value.label
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    return value


def operation_update(*, operation: RoadmapOperation, actor, **fields) -> RoadmapOperation:
    """Edits an operation outside a meeting (title, sponsor, theme, axis, priority, expected figures)
    and writes a new version with each changed field before and after. The status moves only between
    identified and under construction, and only while no dossier realises the operation: from then on
    the dossier's lifecycle sets it. Refused when nothing changes."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        roadmap = locked_roadmap(operation.roadmap, actor)
        locked = (
            RoadmapOperation.objects.select_for_update(of=("self",))
            .select_related("sponsor", "theme")
            .get(pk=operation.pk, roadmap=roadmap)
        )
        if "title" in fields:
            fields["title"] = fields["title"].strip()
            if not fields["title"]:
                raise ValidationError(_("An operation needs a title."), code="title_required")
        if "sponsor" in fields and fields["sponsor"] is not None:
            fields["sponsor_name"] = ""
        status = fields.get("status", locked.status)
        if status != locked.status and (locked.dossier_id is not None or status not in STATUSES_BEFORE_A_DOSSIER):
            raise ValidationError(
                _(
                    "The status changes by hand only between identified and under construction, before a "
                    "dossier realises the operation."
                ),
                code="status_locked",
            )
        if fields.get("priority", locked.priority) not in Priority.values:
            raise ValidationError(_("Unknown priority."), code="invalid_priority")
        _check_amounts(
            fields.get("estimated_cost", locked.estimated_cost), fields.get("expected_support", locked.expected_support)
        )
        before, after = {}, {}
        for name, value in fields.items():
            old = getattr(locked, name)
            if old != value:
                before[name], after[name] = _fact(name, old), _fact(name, value)
                setattr(locked, name, value)
        if not after:
            raise ValidationError(_("Nothing was changed."), code="unchanged")
        locked.updated_at = timezone.now()
        locked.save()
        _write_version(
            roadmap,
            actor,
            [{"kind": "edit", "number": locked.number, "title": locked.title, "before": before, "after": after}],
        )
    return locked


# Follow-up meetings --------------------------------------------------------------------------------


def meeting_create(
    *, roadmap: Roadmap, actor, held_on: date, participants=(), partners: str = "", agenda: str = ""
) -> FollowUpMeeting:
    """Prepares a meeting of the roadmap's contract; its participants are officers or elected
    representatives of the contract's territory."""
    from roadmaps.meetings import check_participants

    with transaction.atomic():
        locked = locked_roadmap(roadmap, actor)
        participants = check_participants(locked.contract.territory, participants)
        meeting = FollowUpMeeting.objects.create(
            roadmap=locked, held_on=held_on, partners=partners, agenda=agenda, created_by=actor
        )
        meeting.participants.set(participants)
    return meeting


@dataclass(frozen=True)
class Decision:
    """One decision of a meeting: `operation` for all but ADD; `details`: for ADD a `NewOperation`
    (key "operation"), for MODIFY_ESTIMATE "estimated_cost" and "expected_support", for POSTPONE
    "expected_year", for ABANDON "reason"."""

    kind: str
    decided_by: str
    operation: RoadmapOperation | None = None
    details: dict = field(default_factory=dict)


# Operations a meeting can no longer abandon or re-estimate: their dossier's lifecycle decides.
SETTLED_STATUSES = frozenset({OperationStatus.FUNDED, OperationStatus.COMPLETED, OperationStatus.ABANDONED})


def _apply(roadmap: Roadmap, decision: Decision) -> tuple[RoadmapOperation, dict, dict]:
    """Applies one decision; returns the operation, the details recorded and the change."""
    if not decision.decided_by.strip():
        raise ValidationError(_("Say who took each decision."), code="decided_by_required")
    if decision.kind == DecisionKind.ADD:
        created = _add(roadmap, decision.details["operation"])
        return created, {"title": created.title}, {"kind": "add", "number": created.number, "title": created.title}
    operation = decision.operation
    if operation is None or operation.roadmap_id != roadmap.pk:
        raise ValidationError(_("The operation is not on this roadmap."), code="other_roadmap")
    operation = RoadmapOperation.objects.select_for_update().get(pk=operation.pk)
    if operation.status in SETTLED_STATUSES:
        raise ValidationError(
            _("The operation #%(number)s is “%(status)s”: a meeting no longer changes it.")
            % {"number": operation.number, "status": operation.get_status_display()},
            code="settled",
        )
    change = {"kind": decision.kind, "number": operation.number, "title": operation.title}
    if decision.kind == DecisionKind.MODIFY_ESTIMATE:
        cost, support = Decimal(decision.details["estimated_cost"]), Decimal(decision.details["expected_support"])
        _check_amounts(cost, support)
        change |= {
            "before": {
                "estimated_cost": str(operation.estimated_cost),
                "expected_support": str(operation.expected_support),
            },
            "after": {"estimated_cost": str(cost), "expected_support": str(support)},
        }
        operation.estimated_cost, operation.expected_support = cost, support
    elif decision.kind == DecisionKind.POSTPONE:
        year = int(decision.details["expected_year"])
        if year <= operation.expected_year:
            raise ValidationError(
                _("Postponing the operation #%(number)s needs a year after %(year)s.")
                % {"number": operation.number, "year": operation.expected_year},
                code="invalid_year",
            )
        change |= {"before": {"expected_year": operation.expected_year}, "after": {"expected_year": year}}
        operation.expected_year = year
    elif decision.kind == DecisionKind.ABANDON:
        change |= {"before": {"status": operation.status}, "after": {"status": OperationStatus.ABANDONED}}
        operation.status = OperationStatus.ABANDONED
    else:
        raise ValidationError(_("Unknown decision."), code="invalid_kind")
    operation.updated_at = timezone.now()
    operation.save()
    details = {key: str(value) for key, value in decision.details.items()}
    return operation, details, change


def meeting_record_decisions(*, meeting: FollowUpMeeting, actor, decisions: list[Decision]) -> RoadmapVersion:
    """Applies the meeting's decisions together and writes one new version of the roadmap, referring to
    the meeting; the versions before stay as they were. All or nothing: one refused decision refuses
    them all."""
    if not decisions:
        raise ValidationError(_("Record at least one decision."), code="no_decision")
    with transaction.atomic():
        roadmap = locked_roadmap(meeting.roadmap, actor)
        applied = [_apply(roadmap, decision) for decision in decisions]
        version = _write_version(roadmap, actor, [change for _operation, _details, change in applied], meeting=meeting)
        MeetingDecision.objects.bulk_create(
            MeetingDecision(
                meeting=meeting,
                kind=decision.kind,
                operation=operation,
                details=details,
                decided_by=decision.decided_by.strip(),
                recorded_by=actor,
                version=version,
            )
            for decision, (operation, details, _change) in zip(decisions, applied, strict=True)
        )
    return version
