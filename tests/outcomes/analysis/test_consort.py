"""CONSORT counts of a trial run through the services equal what the database holds."""

from __future__ import annotations

import datetime as dt

import pytest

from outcomes.analysis import consort, dataset
from participants.models import (
    Allocation,
    Appointment,
    InfusionSession,
    Participant,
    Screening,
    TherapySession,
    Withdrawal,
)


@pytest.fixture
def run(clinic):
    """Twelve randomised, two not eligible, one declined, one enrolled but not randomised; some
    infused, some in sessions, withdrawals of each scope, a missed final visit, drinking days."""
    clinic.screen(failing=("EX_BP",))
    clinic.screen(failing=("EX_SEIZURE", "IN_BDI"))
    clinic.screen(outcome="declined")
    clinic.enrol()  # eligible, never randomised
    people = [clinic.randomised(site=site, sex=sex) for site in ("exeter", "london") for sex in ("M", "F", "M")]
    people += [clinic.randomised(site="exeter", sex="M") for _ in range(6)]
    clinic.infuse(people[0])
    clinic.infuse(people[1])
    clinic.session(people[2])
    clinic.session(people[3], attended=False)  # did not take part: not received
    clinic.withdraw(people[4], "intervention")
    clinic.withdraw(people[5], "follow_up")
    clinic.withdraw(people[6], "intervention")
    clinic.withdraw(people[6], "follow_up")
    clinic.miss_final_follow_up(people[7])
    clinic.adverse_event(people[0], grade=2)
    clinic.adverse_event(people[0], grade=3, serious=True)
    for i, person in enumerate(people[:9]):
        clinic.drink(person, pda=40 + 5 * i, seed=i)
    return clinic.trial


def _per_arm(queryset) -> dict[str, int]:
    """Participants per arm code."""
    counts: dict[str, int] = {}
    for arm, _pk in queryset.values_list("allocation__arm__code", "pk").distinct():
        counts[arm] = counts.get(arm, 0) + 1
    return counts


def test_enrolment_counts_equal_the_database(run):
    flow = consort.flow(dataset.load(run))
    screenings = Screening.objects.filter(trial=run)
    assert flow.assessed == screenings.count() == 16
    assert flow.not_eligible == screenings.filter(outcome="not_eligible").count() == 2
    assert flow.failed_criteria == {"EX_BP": 1, "EX_SEIZURE": 1, "IN_BDI": 1}
    assert flow.declined == screenings.filter(outcome="declined").count() == 1
    assert flow.eligible_not_randomised == 1
    assert flow.randomised == Allocation.objects.filter(participant__trial=run).count() == 12
    assert flow.excluded == flow.assessed - flow.randomised
    assert flow.imported == 0


def test_arm_counts_equal_the_database(run):
    flow = consort.flow(dataset.load(run))
    by_arm = {g.key: g for g in flow.arms}
    randomised = Participant.objects.filter(trial=run, allocation__isnull=False)
    allocated = _per_arm(randomised)
    infused = InfusionSession.objects.filter(visit__appointment__participant__trial=run).values_list(
        "visit__appointment__participant_id", flat=True
    )
    in_sessions = TherapySession.objects.filter(visit__appointment__participant__trial=run, attended=True).values_list(
        "visit__appointment__participant_id", flat=True
    )
    received = _per_arm(randomised.filter(pk__in=[*infused, *in_sessions]))
    withdrew = Withdrawal.objects.filter(scope__in=["follow_up", "data_use"]).values_list("participant_id", flat=True)
    missed = Appointment.objects.filter(event_code="V10", status="missed").values_list("participant_id", flat=True)
    lost = _per_arm(randomised.filter(pk__in=[*withdrew, *missed]))
    stopped = Withdrawal.objects.filter(scope="intervention").values_list("participant_id", flat=True)
    discontinued = _per_arm(randomised.filter(pk__in=stopped))
    with_days = {  # a record in the primary window, study days 1 to 182
        p.pk
        for p in randomised.select_related("allocation")
        if p.drinking.filter(
            day__gte=p.allocation.allocated_on, day__lte=p.allocation.allocated_on + dt.timedelta(days=181)
        ).exists()
    }
    analysed = _per_arm(randomised.filter(pk__in=with_days))
    for arm in ("KT", "KE", "PT", "PE"):
        group = by_arm[arm]
        assert group.allocated == allocated.get(arm, 0)
        assert group.received == received.get(arm, 0)
        assert group.lost == lost.get(arm, 0)
        assert group.discontinued == discontinued.get(arm, 0)
        assert group.analysed == analysed.get(arm, 0)
    assert sum(g.allocated for g in flow.arms) == 12
    assert sum(g.received for g in flow.arms) == 3
    assert sum(g.lost for g in flow.arms) == 3
    assert sum(g.lost_missed_visit for g in flow.arms) == 1
    assert sum(g.discontinued for g in flow.arms) == 2
    assert sum(g.analysed for g in flow.arms) == 9


def test_factor_margins_pool_the_arms_of_each_level(run):
    flow = consort.flow(dataset.load(run))
    by_arm = {g.key: g for g in flow.arms}
    ketamine, placebo = flow.margins["drug"]
    assert ketamine.key == "drug=ketamine"
    assert ketamine.arms == ["KT", "KE"]
    assert ketamine.allocated == by_arm["KT"].allocated + by_arm["KE"].allocated
    assert ketamine.allocated + placebo.allocated == 12
    therapy, education = flow.margins["therapy"]
    assert therapy.analysed == by_arm["KT"].analysed + by_arm["PT"].analysed
    # per factor, "received" is that factor's component: infusions for the drug, sessions for therapy
    infused = InfusionSession.objects.filter(visit__appointment__participant__trial=run).count()
    assert ketamine.received + placebo.received == infused == 2
    assert therapy.received + education.received == 1


def test_adverse_events_are_counted_by_arm_and_grade(run):
    events = dataset.load(run).adverse_events
    assert sorted(events["grade"]) == [2, 3]
    assert events["serious"].tolist() == [False, True]
    assert events["arm"].nunique() == 1


@pytest.mark.parametrize(
    "long",
    [
        "Dependence on another substance than alcohol or nicotine, judged by the investigator at screening",
        "WOMEN WHO ARE PREGNANT, BREASTFEEDING OR NOT USING EFFECTIVE CONTRACEPTION",  # capitals are wide
    ],
)
def test_every_text_of_the_diagram_lies_whole_inside_its_box(run, monkeypatch, long):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from outcomes.analysis import figures
    from outcomes.analysis.labels import Labels

    data = dataset.load(run)
    labels = Labels(protocol=data.protocol, trial_code=run.code, blinded=False)
    monkeypatch.setattr(Labels, "criterion", lambda self, code: f"{code}: {long}")
    fig = figures.consort(consort.flow(data), labels, show_margins=True)
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    boxes = [p.get_window_extent(renderer) for p in ax.patches]
    texts = [t for t in ax.texts if t.get_text().strip()]
    shown = " ".join(" ".join(t.get_text().split()) for t in texts)
    assert f"EX_BP: {long} n = 1" in shown  # wrapped at words, not cut
    for text in texts:
        extent = text.get_window_extent(renderer)
        x, y = ax.transData.transform(text.get_position())
        box = next((b for b in boxes if b.x0 <= x <= b.x1 and b.y0 <= y <= b.y1), None)
        if box is None:
            continue  # a heading between the boxes
        assert box.x0 <= extent.x0, text.get_text()
        assert extent.x1 <= box.x1 - 1, text.get_text()


@pytest.mark.parametrize("blinded", [False, True])
def test_the_diagram_names_each_failed_criterion_by_the_protocols_words(run, tmp_path, blinded):
    from outcomes.analysis import figures
    from outcomes.analysis.labels import Labels

    data = dataset.load(run)
    labels = Labels(protocol=data.protocol, trial_code=run.code, blinded=blinded)
    fig = figures.consort(consort.flow(data), labels, show_margins=not blinded)
    shown = " ".join(" ".join(t.get_text().split()) for t in fig.axes[0].texts)
    figures.save(fig, tmp_path, "consort")
    svg = (tmp_path / "consort.svg").read_text(encoding="utf-8")
    assert "Uncontrolled blood pressure of 140/90 mmHg or more n = 1" in shown
    assert "History of seizures n = 1" in shown
    assert "BDI-II score above 14 n = 1" in shown
    order = ["Inclusion criteria not met", "BDI-II", "Exclusion criteria met", "Uncontrolled", "History of seizures"]
    assert [shown.index(words) for words in order] == sorted(shown.index(words) for words in order)
    for code in ("EX_BP", "EX_SEIZURE", "IN_BDI"):
        assert code not in shown
        assert code not in svg
    assert "History of seizures" in svg  # SVG text is searchable text


def test_the_reports_enrolment_table_names_each_failed_criterion_by_the_protocols_words(run, tmp_path):
    from outcomes.analysis import write_report

    html = write_report(trial=run, out_dir=tmp_path).read_text(encoding="utf-8")
    enrolment = html[html.index("<th>Enrolment</th>") : html.index("</table>", html.index("<th>Enrolment</th>"))]
    assert "<th scope='row'>    inclusion criteria not met</th><td></td>" in enrolment
    assert "<th scope='row'>      BDI-II score above 14</th><td>1</td>" in enrolment
    assert "<th scope='row'>      History of seizures</th><td>1</td>" in enrolment
    for code in ("EX_BP", "EX_SEIZURE", "IN_BDI"):
        assert code not in html
