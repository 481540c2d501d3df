"""Data queries: raised by hand or by an edit check, answered by the site (or by a correction),
closed or re-opened by whoever raised them. ``services`` holds every write, ``selectors`` every
read (scoped by site and blinded like the record the query sits on)."""
