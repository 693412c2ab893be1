"""Guards in front of every page, the admin and the API, before any of them reads the request.

PostgreSQL cannot hold NUL in text: a slug, a reference, a search term or a session key with
one makes the lookup raise DataError, a 500, in whichever view, filter or admin list reads it.
No valid value contains NUL, so rather than each of those places checking, a request with one
in its path, a query parameter (name or value) or a cookie is answered here: a path is
nothing we have (404), a parameter or cookie is bad input (400). The API answers in its JSON
error shape, naming the parameters.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import Http404, JsonResponse

from api.exceptions import json_error
from config.errors import is_api_request

NUL = "\x00"
NUL_MESSAGE = "Null characters are not allowed."


def _with_nul(items) -> list[str]:
    return sorted({name for name, values in items if NUL in name or any(NUL in v for v in values)})


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = is_api_request(request)
        if NUL in request.path_info:
            if api:
                return json_error(404, "Not found.")
            raise Http404("No page has a null character in its address.")
        parameters = _with_nul(request.GET.lists())
        if parameters:
            if api:
                return JsonResponse(
                    {
                        "detail": f"The request is not valid. {parameters[0]}: {NUL_MESSAGE}",
                        "fields": {name: [NUL_MESSAGE] for name in parameters},
                    },
                    status=400,
                )
            raise BadRequest(NUL_MESSAGE)
        cookies = _with_nul((name, [value]) for name, value in request.COOKIES.items())
        if cookies:
            message = f"{NUL_MESSAGE[:-1]} in cookies: {', '.join(cookies)}."
            if api:
                return json_error(400, message)
            raise BadRequest(message)
        return self.get_response(request)
