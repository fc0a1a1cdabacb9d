"""Web framework integrations: :mod:`approvals.contrib.flask` and :mod:`approvals.contrib.django`.

Both are thin layers over two framework-neutral modules that hold every HTTP decision once:

* :mod:`approvals.contrib.http` maps the library's errors to RFC 9457 ``application/problem+json``
  responses and handles ETags / ``If-Match``;
* :mod:`approvals.contrib.api` implements the JSON API operations (create, get, list with an
  opaque cursor, approve / deny / cancel under ``If-Match``) on any :class:`~approvals.Store`.

Neither module imports Flask or Django; install the extra you use (``approvals[flask]`` or
``approvals[django]``).
"""
