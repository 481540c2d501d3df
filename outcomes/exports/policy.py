"""Who may export a trial's data, and what an export may carry: decided here, and only here.

:func:`export_scope` is the one decision. It answers with the sites whose participants the file
holds and the factor columns it may carry, or refuses (403):

* the system itself (a command run with ``--system``): every site, blinded (no factor column);
* the unblinded statistician: their sites, and the factors :mod:`participants.blinding` lets them
  see at every one of those sites (every factor, under the shipped protocols);
* investigators and data managers: their sites, blinded (no factor column) until the trial's
  database is locked and the trial unblinded for analysis; from then on, the factors blinding
  lets them see (every factor, since analysis unblinding opens them all to every member);
* monitors: their sites, always blinded;
* anyone else: refused.

So a factor column appears only when blinding allows the user to see that factor at every site
in the file *and* this policy allows an unblinded export; it never widens what blinding allows.
``blinded=True`` asks for a file without any factor column, whoever asks.

:func:`endpoints_scope` is the older, narrower export of ``manage.py export_endpoints``: the
endpoint table only, for any member of the trial, with the factors blinding lets them see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core import permissions
from core.errors import Forbidden
from core.roles import Role
from participants import blinding, guards

UNBLINDED_EXPORTERS = frozenset({Role.UNBLINDED_STATISTICIAN})
AFTER_UNBLINDING_EXPORTERS = frozenset({Role.INVESTIGATOR, Role.DATA_MANAGER})
BLINDED_EXPORTERS = frozenset({Role.MONITOR})
EXPORTERS = UNBLINDED_EXPORTERS | AFTER_UNBLINDING_EXPORTERS | BLINDED_EXPORTERS


@dataclass(frozen=True)
class ExportScope:
    """What one export may hold. ``site_ids`` is None for every site of the trial."""

    trial: object
    user: object | None
    site_ids: frozenset[int] | None
    factors: tuple[str, ...]  # factor codes, in the protocol's order
    blinded_requested: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def unblinded(self) -> bool:
        """True when the file carries every factor of the protocol."""
        every = [f.code for f in self.trial.version_on().protocol.factors]
        return bool(every) and list(self.factors) == every

    def filters(self) -> dict:
        """The restrictions applied, as recorded in the export log."""
        return {
            "sites": None if self.site_ids is None else sorted(self.site_ids),
            "blinded_requested": self.blinded_requested,
            "roles": sorted(self.roles),
        }


def export_scope(*, user, trial, blinded: bool = False) -> ExportScope:
    """The sites and factor columns ``user`` may export of ``trial`` (``user`` None: the system,
    which exports every site and no factor).

    Raises :class:`~core.errors.Forbidden` when none of the user's roles in the trial may
    export. The message names no factor and no site.
    """
    every = tuple(f.code for f in trial.version_on().protocol.factors)
    if user is None:
        return ExportScope(trial=trial, user=None, site_ids=None, factors=(), blinded_requested=blinded)
    held = frozenset(permissions.roles(user, trial=trial)) & {str(r) for r in EXPORTERS}
    if not held:
        raise Forbidden("your roles in this trial do not include exporting its data")
    site_ids = frozenset(permissions.site_ids(user, trial=trial, roles=held))
    factors: tuple[str, ...] = ()
    if not blinded and _may_export_unblinded(held, trial):
        visible = blinding.factors_visible_everywhere(user=user, trial=trial)
        factors = tuple(code for code in every if code in visible)
    return ExportScope(
        trial=trial, user=user, site_ids=site_ids, factors=factors, blinded_requested=blinded, roles=held
    )


def endpoints_scope(*, user, trial) -> ExportScope:
    """What ``manage.py export_endpoints`` writes for ``user``: the endpoint table of every site where
    they hold any role in the trial, with the factors blinding lets them see at every one of those
    sites (``user`` None: the system, every site and no factor). The same table as the ``endpoints``
    dataset, for a wider set of people (every member of the trial, not only those who may export
    the analysis datasets): it holds endpoints and no identity, and its factor columns are still
    only those blinding allows."""
    if user is None:
        return ExportScope(trial=trial, user=None, site_ids=None, factors=())
    every = tuple(f.code for f in trial.version_on().protocol.factors)
    visible = blinding.factors_visible_everywhere(user=user, trial=trial)
    return ExportScope(
        trial=trial,
        user=user,
        site_ids=frozenset(permissions.site_ids(user, trial=trial)),
        factors=tuple(code for code in every if code in visible),
        roles=frozenset(permissions.roles(user, trial=trial)),
    )


def report_scope(*, user, trial) -> ExportScope:
    """Who may read the trial's analysis report, and which version (``.unblinded``): the report
    analyses every site of the trial at once, so only someone whose export scope covers every site
    may read it. Raises :class:`~core.errors.Forbidden` for the others, as for those who may not
    export at all."""
    scope = export_scope(user=user, trial=trial)
    if scope.site_ids is not None and scope.site_ids != frozenset(trial.sites.values_list("pk", flat=True)):
        raise Forbidden("the analysis report covers every site of the trial, and your roles cover only some of them")
    return scope


def _may_export_unblinded(held: frozenset[str], trial) -> bool:
    if held & {str(r) for r in UNBLINDED_EXPORTERS}:
        return True
    if held & {str(r) for r in AFTER_UNBLINDING_EXPORTERS}:
        return guards.active_lock(trial=trial) is not None and guards.is_unblinded_for_analysis(trial)
    return False
