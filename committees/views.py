"""The staff's pages of the Commission permanente, mounted on the staff site (`workflows.frontend.site`)
at /region/sessions/: the sessions, a session's page, a new session, and the secretariat's actions on
a session: building its agenda (adding reviewed dossiers, removing and ordering items), recording the
attendance, the votes (item by item or en bloc) and the deferrals, and closing it.

The committee's secretariat and members and the administrators see the pages; the secretariat and the
administrators act. Members get a 403 on the actions; everyone else gets a 403 from the site (the
application's `has_view_permission`) or a 404 here. Each action calls one service; a refusal is shown
with its reason and writes nothing."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import generic
from viewflow.urls import Application

from committees.forms import (
    AgendaAddForm,
    AgendaMoveForm,
    AgendaOrderForm,
    AttendanceForm,
    BlockVoteForm,
    ItemDeferForm,
    ItemVoteForm,
    SessionForm,
)
from committees.models import ItemResult, SessionStatus
from committees.permissions import can_manage_sessions, can_view_sessions
from committees.selectors import (
    agenda_item_list_for_session,
    agenda_item_list_with_votes,
    dossier_list_ready_for_agenda,
    opinion_summaries,
    session_list_for_user,
)
from committees.services import agenda_reorder, session_create, session_set_status
from committees.voting import (
    Roll,
    closing_progress,
    item_defer,
    item_record_votes,
    session_close_enqueue,
    session_record_attendance,
    session_record_block_vote,
)
from documents.services import session_letters_batch_latest
from dossiers.http import client_ip
from dossiers.selectors import dossier_list_for_user
from workflows.services import TransitionRefused, dossier_schedule, dossier_unschedule


def proposal_rate(amount: Decimal | None, base: Decimal | None) -> Decimal | None:
    """The rate of a proposal on its eligible base, as a fraction."""
    return amount / base if amount is not None and base else None


class SessionPageMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_view_sessions(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_session(self):
        session = session_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if session is None:
            raise Http404(_("No such session."))
        return session


class SessionManageMixin(SessionPageMixin):
    """The secretariat's actions on a session: a 403 for the committee's members."""

    def dispatch(self, request, *args, **kwargs):
        if can_view_sessions(request.user) and not can_manage_sessions(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_item(self, session):
        """The agenda item of the URL, which must be on the session of the URL."""
        item = agenda_item_list_for_session(self.request.user, session).filter(pk=self.kwargs["item_pk"]).first()
        if item is None:
            raise Http404(_("No such item on this session's agenda."))
        return item

    def back_to_session(self, session, anchor: str = ""):
        url = reverse("sessions:session_page", args=[session.pk])
        return redirect(f"{url}#{anchor}" if anchor else url)


class SessionListView(SessionPageMixin, generic.ListView):
    """Every session, most recent first, with its number of items (one query for the page)."""

    template_name = "committees/session_list.html"
    context_object_name = "sessions"
    paginate_by = 50

    def get_queryset(self):
        return session_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_manage=can_manage_sessions(self.request.user), **kwargs)


class SessionPageView(SessionPageMixin, generic.TemplateView):
    """A session and its agenda in order, with each item's proposal, opinions, votes and result; for
    the secretariat, the forms of the session's current step. The same number of queries whatever the
    number of items."""

    template_name = "committees/session_page.html"

    def get_context_data(self, *, session=None, attendance_form=None, block_form=None, **kwargs):
        user = self.request.user
        session = session or self.get_session()
        can_manage = can_manage_sessions(user)
        roll = Roll.of(session)
        members = list(roll.members.values())
        items = list(agenda_item_list_with_votes(user, session))
        show_candidates = can_manage and session.is_open_for_agenda
        candidates = list(dossier_list_ready_for_agenda(user)) if show_candidates else []
        summaries = opinion_summaries([item.dossier_id for item in items] + [dossier.pk for dossier in candidates])
        held = session.status == SessionStatus.HELD
        open_items = [item for item in items if item.result == ItemResult.PENDING and not item.outcome]
        voters = [member for member in members if member.pk in roll.present]
        if can_manage and held and block_form is None:
            block_form = BlockVoteForm(voters=voters, items=open_items)
        excepted = block_form.excepted() if block_form is not None else set()
        for item in items:
            item.opinion_summary = summaries.get(item.dossier_id)
            item.proposed_rate = proposal_rate(item.proposed_amount, item.eligible_base)
            withdrawn = roll.withdrawn(item.dossier)
            item.withdrawn_members = [
                (member, roll.interest_in(member.pk, item.dossier)) for member in members if member.pk in withdrawn
            ]
            item.is_open = item.result == ItemResult.PENDING and not item.outcome
            item.excepted = item.pk in excepted
        for dossier in candidates:
            dossier.opinion_summary = summaries.get(dossier.pk)
            dossier.proposed_rate = proposal_rate(dossier.proposed_amount, dossier.eligible_base)
        if can_manage and session.status in (SessionStatus.CONVENED, SessionStatus.HELD) and attendance_form is None:
            attendance_form = AttendanceForm(members=members, initial={"present": sorted(roll.present)})
        next_status = session.next_status
        return super().get_context_data(
            session=session,
            items=items,
            members=members,
            attendance=[
                (member, member.pk in roll.present, roll.interests.get(member.pk, ()), widget)
                for member, widget in zip(
                    members,
                    attendance_form["present"] if attendance_form is not None else [None] * len(members),
                    strict=True,
                )
            ],
            quorum_required=session.quorum_required,
            present_count=len(roll.present),
            can_manage=can_manage,
            candidates=candidates,
            show_candidates=show_candidates,
            can_order=can_manage and session.is_open_for_agenda and len(items) > 1,
            show_results=session.status in (SessionStatus.HELD, SessionStatus.CLOSED),
            show_actions=can_manage and (session.is_open_for_agenda or held),
            can_vote=can_manage and held,
            open_items=open_items,
            can_close=can_manage and held and bool(items) and not open_items and session.closing_since is None,
            closing=closing_progress(session) if session.closing_since is not None else None,
            refused_items=[item for item in items if item.apply_error],
            attendance_form=attendance_form,
            block_form=block_form,
            # Closing is an action of its own (`session_close`), never a status change.
            next_status=next_status if next_status != SessionStatus.CLOSED else None,
            next_status_label=SessionStatus(next_status).label if next_status else "",
            **kwargs,
        )


class SessionCreateView(SessionManageMixin, generic.FormView):
    template_name = "committees/session_form.html"
    form_class = SessionForm

    def form_valid(self, form):
        try:
            session = session_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The session “%(session)s” was created.") % {"session": session})
        return redirect("sessions:session_page", pk=session.pk)


class SessionStatusView(SessionPageMixin, generic.View):
    def post(self, request, pk):
        session = self.get_session()
        try:
            session = session_set_status(session=session, actor=request.user, status=request.POST.get("status", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The session is now “%(status)s”.") % {"status": session.get_status_display()})
        return redirect("sessions:session_page", pk=session.pk)


# The agenda --------------------------------------------------------------------------------------------


class AgendaAddView(SessionManageMixin, generic.View):
    """Puts the ticked dossiers on the agenda, one `dossier_schedule` each, in the order of the list;
    each refusal is reported with its dossier."""

    def post(self, request, pk):
        session = self.get_session()
        form = AgendaAddForm(request.POST)
        if not form.is_valid():
            for error in form.errors.get("dossiers", ()):
                messages.error(request, error)
            return self.back_to_session(session, "candidates-title")
        ids = form.cleaned_data["dossiers"]
        found = {
            dossier.pk: dossier for dossier in dossier_list_for_user(request.user, staff_only=True).filter(pk__in=ids)
        }
        added = 0
        for dossier_id in dict.fromkeys(ids):
            dossier = found.get(dossier_id)
            if dossier is None:
                messages.error(request, _("A ticked dossier cannot be found any more."))
                continue
            try:
                dossier_schedule(dossier=dossier, actor=request.user, session=session, ip_address=client_ip(request))
            except TransitionRefused as refusal:
                messages.error(
                    request,
                    _("%(reference)s: %(message)s") % {"reference": dossier.reference, "message": refusal.message},
                )
            else:
                added += 1
        if added:
            messages.success(
                request,
                ngettext(
                    "%(count)s dossier was put on the agenda.", "%(count)s dossiers were put on the agenda.", added
                )
                % {"count": added},
            )
        return self.back_to_session(session, "agenda-title")


class AgendaRemoveView(SessionManageMixin, generic.View):
    """Takes an item's dossier off the agenda (`dossier_unschedule`): it is reviewed again."""

    def post(self, request, pk, item_pk):
        session = self.get_session()
        item = self.get_item(session)
        reference = item.dossier.reference
        if item.result != ItemResult.PENDING:
            messages.error(request, _("%(reference)s: the committee's decision is applied.") % {"reference": reference})
            return self.back_to_session(session, "agenda-title")
        try:
            dossier_unschedule(dossier=item.dossier, actor=request.user, ip_address=client_ip(request))
        except TransitionRefused as refusal:
            messages.error(
                request, _("%(reference)s: %(message)s") % {"reference": reference, "message": refusal.message}
            )
        else:
            messages.success(
                request,
                _("%(reference)s was taken off the agenda; it waits among the reviewed dossiers.")
                % {"reference": reference},
            )
        return self.back_to_session(session, "agenda-title")


class AgendaOrderView(SessionManageMixin, generic.View):
    """Numbers the agenda again, by territory, contract or theme."""

    def post(self, request, pk):
        session = self.get_session()
        form = AgendaOrderForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Unknown order."))
            return self.back_to_session(session, "agenda-title")
        try:
            agenda_reorder(session=session, actor=request.user, order_by=form.cleaned_data["order_by"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The agenda is now ordered by %(order)s.")
                % {"order": dict(form.fields["order_by"].choices)[form.cleaned_data["order_by"]]},
            )
        return self.back_to_session(session, "agenda-title")


class AgendaMoveView(SessionManageMixin, generic.View):
    """Moves an item one place up or down the agenda."""

    def post(self, request, pk, item_pk):
        session = self.get_session()
        item = self.get_item(session)
        form = AgendaMoveForm(request.POST)
        if not form.is_valid():
            return self.back_to_session(session, f"item-{item.pk}")
        order = list(agenda_item_list_for_session(request.user, session).values_list("pk", flat=True))
        index = order.index(item.pk)
        other = index - 1 if form.cleaned_data["direction"] == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            try:
                agenda_reorder(session=session, actor=request.user, item_ids=order)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return self.back_to_session(session, f"item-{item.pk}")


# The session itself -------------------------------------------------------------------------------------


class AttendanceView(SessionManageMixin, SessionPageView):
    """Records who is present; a refusal shows the page again with the form as ticked."""

    http_method_names = ["post"]

    def post(self, request, pk):
        session = self.get_session()
        form = AttendanceForm(request.POST, members=session.members.order_by("last_name", "first_name", "pk"))
        if form.is_valid():
            try:
                session_record_attendance(session=session, actor=request.user, present=form.cleaned_data["present"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                count = len(form.cleaned_data["present"])
                messages.success(
                    request,
                    ngettext(
                        "The attendance is recorded: %(count)s member present.",
                        "The attendance is recorded: %(count)s members present.",
                        count,
                    )
                    % {"count": count},
                )
                return self.back_to_session(session, "attendance-title")
        return self.render_to_response(self.get_context_data(session=session, attendance_form=form))


class BlockVoteView(SessionManageMixin, SessionPageView):
    """One vote for every item without a vote yet, less the exceptions ticked; a refusal (one item's
    quorum, a missing vote, a rejection without reason) shows the page again and records nothing."""

    http_method_names = ["post"]

    def post(self, request, pk):
        session = self.get_session()
        roll = Roll.of(session)
        voters = [member for pk_, member in roll.members.items() if pk_ in roll.present]
        open_items = [
            item
            for item in agenda_item_list_for_session(request.user, session)
            if item.result == ItemResult.PENDING and not item.outcome
        ]
        form = BlockVoteForm(request.POST, voters=voters, items=open_items)
        if form.is_valid():
            try:
                result = session_record_block_vote(
                    session=session,
                    actor=request.user,
                    votes=form.votes(),
                    exceptions=form.cleaned_data["exceptions"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_refusal(error)
            else:
                count = len(result.items)
                messages.success(
                    request,
                    ngettext(
                        "The vote en bloc is recorded on %(count)s item (%(approved)s approved), with %(withdrawals)s "
                        "withdrawal (déport).",
                        "The vote en bloc is recorded on %(count)s items (%(approved)s approved), with "
                        "%(withdrawals)s withdrawals (déports).",
                        count,
                    )
                    % {"count": count, "approved": result.approved, "withdrawals": result.withdrawals},
                )
                return self.back_to_session(session, "agenda-title")
        return self.render_to_response(self.get_context_data(session=session, block_form=form))


class ItemVoteView(SessionManageMixin, generic.TemplateView):
    """The vote on one item: a choice per present member ("for" by default), the members withdrawn from
    it (déport) shown with their interest and without a choice, an amendment of the amount, a reason;
    and the deferral of the item. A refusal is shown on the form and records nothing."""

    template_name = "committees/session_item_vote.html"

    def setup_item(self):
        self.session = self.get_session()
        self.item = self.get_item(self.session)
        self.roll = Roll.of(self.session)
        withdrawn = self.roll.withdrawn(self.item.dossier)
        present = [member for pk, member in self.roll.members.items() if pk in self.roll.present]
        self.voters = [member for member in present if member.pk not in withdrawn]
        self.withdrawn = [member for member in present if member.pk in withdrawn]

    def vote_form(self, data=None):
        return ItemVoteForm(data, voters=self.voters, withdrawn=self.withdrawn)

    def get(self, request, pk, item_pk):
        self.setup_item()
        return self.render_to_response(self.get_context_data(form=self.vote_form(), defer_form=ItemDeferForm()))

    def post(self, request, pk, item_pk):
        self.setup_item()
        form = self.vote_form(request.POST)
        if form.is_valid():
            try:
                item = item_record_votes(
                    item=self.item,
                    actor=request.user,
                    votes=form.votes(),
                    amended_amount=form.cleaned_data["amended_amount"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_refusal(error)
            else:
                messages.success(
                    request,
                    _("Item %(position)s (%(reference)s): the vote is recorded, “%(outcome)s”.")
                    % {
                        "position": item.position,
                        "reference": self.item.dossier.reference,
                        "outcome": item.get_outcome_display(),
                    },
                )
                return self.back_to_session(self.session, f"item-{item.pk}")
        return self.render_to_response(self.get_context_data(form=form, defer_form=ItemDeferForm()))

    def get_context_data(self, **kwargs):
        item, roll = self.item, self.roll
        withdrawn_ids = {member.pk for member in self.withdrawn}
        form = kwargs["form"]
        return super().get_context_data(
            session=self.session,
            item=item,
            proposed_rate=proposal_rate(item.proposed_amount, item.eligible_base),
            rows=[
                (
                    member,
                    form[f"vote_{member.pk}"],
                    roll.interest_in(member.pk, item.dossier) if member.pk in withdrawn_ids else None,
                )
                for member in self.voters + self.withdrawn
            ],
            absent=[member for pk, member in roll.members.items() if pk not in roll.present],
            quorum_required=self.session.quorum_required,
            counted=len(self.voters),
            votable=self.session.status == SessionStatus.HELD and item.result == ItemResult.PENDING,
            **kwargs,
        )


class ItemDeferView(ItemVoteView):
    """The committee defers the item to a later session, with a reason."""

    http_method_names = ["post"]

    def post(self, request, pk, item_pk):
        self.setup_item()
        form = ItemDeferForm(request.POST)
        if form.is_valid():
            try:
                item = item_defer(item=self.item, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Item %(position)s (%(reference)s) is deferred.")
                    % {"position": item.position, "reference": self.item.dossier.reference},
                )
                return self.back_to_session(self.session, f"item-{item.pk}")
        return self.render_to_response(self.get_context_data(form=self.vote_form(), defer_form=form))


class SessionCloseView(SessionManageMixin, generic.View):
    """Checks the session can be closed, then has a background task apply every result and close it
    (the letters follow as one background batch). The session's page follows the progress; with the
    immediate tasks backend the task has run when the page comes back."""

    def post(self, request, pk):
        session = self.get_session()
        try:
            session = session_close_enqueue(session=session, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return self.back_to_session(session, "close-title")
        if session.closing_since is not None:
            messages.info(request, _("The closing has started: this page shows its progress."))
            return self.back_to_session(session, "close-title")
        progress = closing_progress(session)
        if session.status == SessionStatus.CLOSED:
            messages.success(
                request,
                ngettext(
                    "The session is closed: %(count)s result applied.",
                    "The session is closed: %(count)s results applied.",
                    progress["applied"],
                )
                % {"count": progress["applied"]},
            )
        else:
            messages.error(
                request,
                ngettext(
                    "%(applied)s results applied; %(count)s item was refused: the session stays held. Correct its "
                    "vote or defer it, then close again.",
                    "%(applied)s results applied; %(count)s items were refused: the session stays held. Correct "
                    "their votes or defer them, then close again.",
                    progress["refused"],
                )
                % {"applied": progress["applied"], "count": progress["refused"]},
            )
        batch = session_letters_batch_latest(session)
        if batch is not None:
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("The letters are being issued."),
                    reverse("sessions:document_batch", args=[session.pk, batch.pk]),
                    _("Follow the progress"),
                ),
            )
        return self.back_to_session(session, "close-title")


class SessionViewset(Application):
    """The Commission permanente's entry in the staff site's menu."""

    title = gettext_lazy("Commission permanente")
    icon = "gavel"
    app_name = "sessions"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_view_sessions(user)

    @property
    def index_path(self):
        return path("", SessionListView.as_view(), name="index")

    @property
    def session_create_path(self):
        return path("new/", SessionCreateView.as_view(), name="session_create")

    @property
    def session_page_path(self):
        return path("<int:pk>/", SessionPageView.as_view(), name="session_page")

    @property
    def session_status_path(self):
        return path("<int:pk>/status/", SessionStatusView.as_view(), name="session_status")

    @property
    def agenda_add_path(self):
        return path("<int:pk>/agenda/add/", AgendaAddView.as_view(), name="agenda_add")

    @property
    def agenda_order_path(self):
        return path("<int:pk>/agenda/order/", AgendaOrderView.as_view(), name="agenda_order")

    @property
    def agenda_remove_path(self):
        return path("<int:pk>/items/<int:item_pk>/remove/", AgendaRemoveView.as_view(), name="agenda_remove")

    @property
    def agenda_move_path(self):
        return path("<int:pk>/items/<int:item_pk>/move/", AgendaMoveView.as_view(), name="agenda_move")

    @property
    def attendance_path(self):
        return path("<int:pk>/attendance/", AttendanceView.as_view(), name="session_attendance")

    @property
    def item_vote_path(self):
        return path("<int:pk>/items/<int:item_pk>/vote/", ItemVoteView.as_view(), name="item_vote")

    @property
    def item_defer_path(self):
        return path("<int:pk>/items/<int:item_pk>/defer/", ItemDeferView.as_view(), name="item_defer")

    @property
    def block_vote_path(self):
        return path("<int:pk>/block-vote/", BlockVoteView.as_view(), name="block_vote")

    @property
    def session_close_path(self):
        return path("<int:pk>/close/", SessionCloseView.as_view(), name="session_close")

    @property
    def document_batch_path(self):
        from documents.views import BatchView

        return path("<int:pk>/documents/<int:batch_pk>/", BatchView.as_view(), name="document_batch")
