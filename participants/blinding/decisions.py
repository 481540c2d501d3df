"""Who may see which factor of whose allocation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core import permissions
from core.errors import Invalid
from participants import guards

BLINDED = "blinded"


def visible_factors(*, user, trial, site=None) -> frozenset[str]:
    """Codes of the factors ``user`` may see for participants at ``site`` (any site of the trial
    when ``site`` is None: then a role held at any one site counts, so use it only for questions
    that are asked across the user's sites)."""
    protocol = trial.version_on().protocol
    held = permissions.roles(user, site=site, trial=trial)
    if held and guards.is_unblinded_for_analysis(trial):
        return frozenset(f.code for f in protocol.factors)
    return frozenset(f.code for f in protocol.factors if held & set(f.visible_to))


def factors_visible_everywhere(*, user, trial) -> frozenset[str]:
    """Factors ``user`` may see at every site they can see: what may be filtered or sorted on
    in lists spanning sites."""
    sites = permissions.site_ids(user, trial=trial)
    if not sites:
        return frozenset()
    sets = [visible_factors(user=user, trial=trial, site=site) for site in sites]
    return frozenset.intersection(*sets)


def visible_for_participant(*, user, participant, per_site: dict | None = None) -> frozenset[str]:
    """The factors ``user`` may see for ``participant``. ``per_site``, a dict kept for one request,
    remembers :func:`visible_factors` per trial and site while a list of participants is shown."""
    key = (participant.trial_id, participant.site_id)
    if per_site is not None and key in per_site:
        factors = set(per_site[key])
    else:
        factors = set(visible_factors(user=user, trial=participant.trial, site=participant.site_id))
        if per_site is not None:
            per_site[key] = frozenset(factors)
    # Every unblinding of the participant (a handful at most; prefetched in lists).
    if any(u.requested_by_id == user.pk for u in participant.unblindings.all()):
        factors |= {f.code for f in participant.trial.version_on().protocol.factors}
    return frozenset(factors)


def arm_levels(allocation) -> dict[str, str]:
    """The factor levels of an allocation's arm ``{factor: level}``. Callers must then blind.

    Uses ``arm_levels`` prefetched with ``level__factor`` when the arm has them."""
    arm = allocation.arm
    if "arm_levels" in getattr(arm, "_prefetched_objects_cache", {}):
        links = arm.arm_levels.all()
    else:
        links = arm.arm_levels.select_related("level__factor")
    return {al.level.factor.code: al.level.code for al in links}


def hidden_factors(*, user, trial, site=None) -> frozenset[str]:
    protocol = trial.version_on().protocol
    return frozenset(f.code for f in protocol.factors) - visible_factors(user=user, trial=trial, site=site)


def check_query(*, user, trial, params: Mapping[str, str], factor_params: Iterable[str] = ()) -> dict[str, str]:
    """Refuse (400) a filter or ordering on a factor or arm the user may not see everywhere.

    Returns the factor filters the user may apply ``{factor: level}``. The message names only
    the parameter, never what it would have revealed.
    """
    protocol = trial.version_on().protocol
    factor_codes = {f.code for f in protocol.factors}
    allowed = factors_visible_everywhere(user=user, trial=trial)
    filters: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for code in factor_codes:
        if code in params:
            if code not in allowed:
                problems[code] = ["You may not filter by this."]
            else:
                levels = {lv.code for lv in protocol.factor(code).levels}
                if params[code] not in levels:
                    problems[code] = [f"Choose one of: {', '.join(sorted(levels))}."]
                else:
                    filters[code] = params[code]
    if "arm" in params and not factor_codes <= allowed:
        problems["arm"] = ["You may not filter by this."]
    ordering = params.get("ordering", "")
    for term in filter(None, (t.strip() for t in ordering.split(","))):
        name = term.lstrip("-")
        if (name == "arm" and not factor_codes <= allowed) or (name in factor_codes and name not in allowed):
            problems.setdefault("ordering", []).append("You may not order by this.")
    if problems:
        raise Invalid("the query asks for something you may not see", fields=problems)
    return filters
