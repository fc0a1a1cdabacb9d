"""Web framework integrations: :mod:`approvals.contrib.flask` and :mod:`approvals.contrib.django`.

Both are thin layers over framework-neutral modules that hold every HTTP decision once:

* :mod:`approvals.contrib.http` maps the library's errors to RFC 9457 ``application/problem+json``
  responses, handles ETags / ``If-Match`` and reads the identity a trusted proxy sends;
* :mod:`approvals.contrib.api` implements the JSON API operations (create, get, approve / deny /
  cancel under ``If-Match``) on any :class:`~approvals.Store`, and :mod:`approvals.contrib.listing`
  the listing with an opaque cursor;
* :mod:`approvals.contrib.enforcement` enforces the app's approval policy (who may decide,
  auto-approval on create);
* :mod:`approvals.contrib.approver` is the data and form handling of an approver page, shared by
  both example apps.

None of them imports Flask or Django; install the extra you use (``approvals[flask]`` or
``approvals[django]``).
"""
