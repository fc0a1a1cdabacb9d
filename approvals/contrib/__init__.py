"""Web framework integrations: :mod:`approvals.contrib.flask` and :mod:`approvals.contrib.django`,
thin layers over framework-neutral modules (:mod:`.http`, :mod:`.api`, :mod:`.listing`,
:mod:`.enforcement`, :mod:`.approver`) that hold every HTTP decision once. None of them imports
Flask or Django; install the extra you use (``approvals[flask]`` or ``approvals[django]``).
"""
