"""Time made explicit: a site's today, and study days from an anchor date.

Dates are calendar dates in the site's time zone. Study day 1 is the anchor date, day -1 the day
before; there is no day 0.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone


def today_at(site) -> dt.date:
    """Today's date in the site's time zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(site.time_zone)).date()


def study_day(anchor: dt.date, day: dt.date) -> int:
    """The study day of ``day``: 1 on the anchor date, -1 the day before, never 0."""
    delta = (day - anchor).days
    return delta + 1 if delta >= 0 else delta


def date_of_study_day(anchor: dt.date, study_day_number: int) -> dt.date:
    """The calendar date of a study day (inverse of :func:`study_day`)."""
    if study_day_number == 0:
        raise ValueError("there is no study day 0")
    offset = study_day_number - 1 if study_day_number > 0 else study_day_number
    return anchor + dt.timedelta(days=offset)
