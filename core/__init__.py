"""The base layer every app shares, importing none of them.

The error shape, roles and permissions, the audit context and the history reader, the clock,
pagination, the read snapshot, the OpenAPI conventions, and people with their roles at sites
(models, services, API, admin, ``add_user``). Its Django app label is ``trialtracker``, which its
tables, migrations and audit events have carried from the first release.
"""
