from django.utils.functional import SimpleLazyObject


def spaces(request):
    """Whether the page's user works for the Region (a link to the instruction site in the header);
    evaluated only by the pages that ask."""
    from dossiers.views import is_staff_member

    user = getattr(request, "user", None)
    return {"is_region_staff": SimpleLazyObject(lambda: bool(user and user.is_authenticated and is_staff_member(user)))}
