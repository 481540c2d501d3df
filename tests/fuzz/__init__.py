"""What the API fuzz (``tests/test_api_schema_fuzz.py``) draws its requests from.

* :mod:`tests.fuzz.seeding`: the small simulated KARE trial and the people, users, tokens and
  safety data seeded around it (:class:`~tests.fuzz.seeding.Seeded`), and the state that one
  operation needs and would stop the others (set up in that operation's own test).
* :mod:`tests.fuzz.plans`: per operation, the real path and query parameters and the valid bodies
  that the operation should accept, by resource.
* :mod:`tests.fuzz.roles`: the roles the project lets do each operation.

Helpers only: nothing here is named for pytest to collect.
"""
