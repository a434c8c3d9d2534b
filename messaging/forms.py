from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from messaging.models import BODY_MAX_LENGTH
from messaging.services import MAX_ATTACHMENTS

ACCEPTED_FILES = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their content is checked by the service, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files if file]


def _attachments_help() -> str:
    return gettext("PDF, PNG or JPEG documents, at most %(count)d files of %(size)s each.") % {
        "count": MAX_ATTACHMENTS,
        "size": filesizeformat(settings.PIECE_MAX_SIZE),
    }


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(label=_("Attached files"), required=False, help_text=lazy(_attachments_help, str)())
    is_internal = forms.BooleanField(
        label=_("Internal note: visible to the Region's staff only, never to the sponsor"), required=False
    )

    def __init__(self, *args, allow_internal: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "message-%s")
        super().__init__(*args, **kwargs)
        if not allow_internal:
            del self.fields["is_internal"]
