"""The API's language: `Accept-Language` (or the language cookie), French by default.

Django's `LocaleMiddleware` gives every address outside `i18n_patterns` the default language when the
default language has no prefix (`prefix_default_language=False`), so the API would always answer in
French. Placed right after it, this middleware lets a client of `/api/` ask for English (`Accept-Language:
en`): the schema's documentation and the errors' sentences follow."""

from django.utils import translation


class ApiLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
