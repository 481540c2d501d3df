"""Protocol files are validated on load: every problem is named with its field path, nothing is written.

Each invalid variant is the shipped ``kare.yaml`` with one thing broken, checked twice: through
:func:`trials.protocol.validate` (the problem's path and message) and through the
``load_protocol`` command (a non-zero exit naming the problem, no trial or version stored).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from trials.models import ProtocolVersion, Site, Trial
from trials.protocol import ProtocolInvalid, from_document, load_file, parse, validate

ROOT = Path(__file__).resolve().parents[2]
KARE_FILE = ROOT / "protocols" / "kare.yaml"
MORE_KARE_FILE = ROOT / "protocols" / "more-kare.yaml"
_KARE = yaml.safe_load(KARE_FILE.read_text(encoding="utf-8"))


def kare_document() -> dict:
    """A fresh copy of the parsed kare.yaml, safe to modify."""
    return copy.deepcopy(_KARE)


def problem_named(problems: list[tuple[str, str]], path: str, fragment: str) -> bool:
    return any(where == path and fragment in message for where, message in problems)


# --- the variants ---------------------------------------------------------------------------


def _drop_arm(doc):
    del doc["arms"][3]


def _arm_unknown_level(doc):
    doc["arms"][0]["levels"]["drug"] = "aspirin"


def _arm_unknown_factor(doc):
    doc["arms"][0]["levels"]["colour"] = "red"


def _duplicate_event(doc):
    doc["schedule"][2]["code"] = "V2"


def _window_reversed(doc):
    doc["schedule"][1]["window"] = [7, -6]


def _window_misses_target(doc):
    doc["schedule"][1]["window"] = [1, 7]


def _anchor_later(doc):
    doc["schedule"][2]["anchor"] = "V9"


def _anchor_unknown(doc):
    doc["schedule"][2]["anchor"] = "V99"


def _negative_dose(doc):
    doc["dosing"]["regimen"][0]["mg_per_kg"] = -0.8


def _block_not_multiple(doc):
    doc["randomisation"]["block_sizes"] = [4, 6]


def _unknown_role(doc):
    doc["factors"][0]["visible_to"].append("janitor")


def _unknown_time_zone(doc):
    doc["sites"][0]["time_zone"] = "Europe/Exeter"


def _duplicate_site(doc):
    doc["sites"][1]["code"] = "exeter"


def _age_reversed(doc):
    doc["eligibility"]["age"] = {"min": 60, "max": 18}


def _threshold_missing_for_f(doc):
    del doc["outcomes"]["heavy_day_grams"]["F"]


def _outcome_window_day_zero(doc):
    doc["outcomes"]["windows"][0]["start"] = 0


def _programmes_differ(doc):
    doc["therapy"]["programmes"][1]["sessions"] = 5


def _infusions_differ(doc):
    doc["dosing"]["regimen"][1]["infusion_minutes"] = 20


def _volumes_differ(doc):
    doc["dosing"]["regimen"][1]["volume_ml"] = 100


def _routes_differ(doc):
    doc["dosing"]["regimen"][1]["route"] = "oral"


def _anchor_first_infusion(doc):
    doc["outcomes"]["anchor"] = "first_infusion"


def _unknown_field(doc):
    doc["trial"]["colour"] = "blue"


def _dose_unknown_level(doc):
    doc["dosing"]["regimen"][1]["level"] = "aspirin"


def _programme_unknown_level(doc):
    doc["therapy"]["programmes"][0]["level"] = "yoga"


def _primary_window_unknown(doc):
    doc["outcomes"]["primary_window"] = "1-365"


def _infusions_miscounted(doc):
    doc["dosing"]["infusions"] = 4


def _factor_one_level(doc):
    del doc["factors"][1]["levels"][1]


def _section_missing(doc):
    del doc["outcomes"]


def _dosing_unknown_factor(doc):
    doc["dosing"]["factor"] = "dose"


def _rsi_event_unnamed(doc):
    doc["reference_safety_information"]["expected"][0] = {}


def _rsi_code_malformed(doc):
    doc["reference_safety_information"]["expected"][0] = {"pt_code": "1234"}


def _rsi_listed_twice(doc):
    doc["reference_safety_information"]["expected"].append({"pt_name": "NAUSEA"})


def _rsi_without_a_drug(doc):
    del doc["dosing"]


def _rsi_without_a_version(doc):
    del doc["reference_safety_information"]["version"]


def _contact_names_the_drug(doc):
    doc["sites"][0]["contact"]["place"] = "Ketamine clinic, Barrack Road"


def _contact_names_the_trial(doc):
    doc["sites"][1]["contact"]["reply_to"] = "kare.trial@example.org"


def _contact_translation_names_the_trial(doc):
    # The check reads the protocol's own words (codes and titles), in any language's text: the
    # trial's code here. A translation naming the drug in its own language is the translator's to avoid.
    doc["sites"][0]["contact"]["place_translations"] = {"es": "Unidad KARE, Barrack Road"}


def _contact_translation_not_a_language(doc):
    doc["sites"][0]["contact"]["place_translations"] = {"Spanish": "Consultas externas"}


def _unit_translation_empty(doc):
    doc["outcomes"]["unit"]["name_translations"] = {"es": " "}


def _contact_phone_impossible(doc):
    doc["sites"][0]["contact"]["phone"] = "12"


def _contact_name_forges_a_header(doc):
    doc["sites"][0]["contact"]["name"] = "Team <boss@example.org>"


def _contact_reply_to_not_an_address(doc):
    doc["sites"][0]["contact"]["reply_to"] = "appointments at example.org"


INVALID: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("missing_arm", _drop_arm, "arms", "has 4 cells but 3 arms are given"),
    ("arm_unknown_level", _arm_unknown_level, "arms.0.levels.drug", "unknown level 'aspirin'"),
    ("arm_unknown_factor", _arm_unknown_factor, "arms.0.levels.colour", "unknown factor 'colour'"),
    ("duplicate_event_code", _duplicate_event, "schedule", "duplicate code 'V2'"),
    ("window_ends_before_it_starts", _window_reversed, "schedule.1.window", "ends (-6) before it starts (+7)"),
    ("window_misses_target_day", _window_misses_target, "schedule.1.window", "does not contain the target day"),
    ("anchor_on_later_event", _anchor_later, "schedule.2.anchor", "comes later"),
    ("unknown_anchor", _anchor_unknown, "schedule.2.anchor", "unknown anchor 'V99'"),
    ("negative_dose", _negative_dose, "dosing.regimen.0.mg_per_kg", "greater than or equal to 0"),
    ("block_not_multiple_of_ratio", _block_not_multiple, "randomisation.block_sizes", "block size 6 is not a multiple"),
    ("unknown_role_in_visible_to", _unknown_role, "factors.0.visible_to", "unknown role(s) janitor"),
    ("unknown_time_zone", _unknown_time_zone, "sites.0.time_zone", "unknown time zone 'Europe/Exeter'"),
    ("duplicate_site_code", _duplicate_site, "sites", "duplicate code 'exeter'"),
    ("age_range_reversed", _age_reversed, "eligibility.age", "ends (18) before it starts (60)"),
    ("threshold_missing_for_f", _threshold_missing_for_f, "outcomes.heavy_day_grams", "needed for F"),
    ("outcome_window_day_zero", _outcome_window_day_zero, "outcomes.windows.0", "there is no study day 0"),
    ("anchor_first_infusion", _anchor_first_infusion, "outcomes.anchor", "not supported yet"),
    ("programmes_differ", _programmes_differ, "therapy", "cannot tell them apart"),
    ("infusion_lengths_differ", _infusions_differ, "dosing", "cannot tell them apart"),
    ("infusion_volumes_differ", _volumes_differ, "dosing", "cannot tell them apart"),
    ("infusion_routes_differ", _routes_differ, "dosing", "cannot tell them apart"),
    ("unknown_field", _unknown_field, "trial.colour", "unknown field"),
    ("dose_for_unknown_level", _dose_unknown_level, "dosing.regimen.1.level", "unknown level 'aspirin' of drug"),
    ("programme_unknown_level", _programme_unknown_level, "therapy.programmes.0.level", "unknown level 'yoga'"),
    ("primary_window_unknown", _primary_window_unknown, "outcomes.primary_window", "unknown window '1-365'"),
    ("infusions_miscounted", _infusions_miscounted, "dosing.infusions", "4 infusions declared, 3 infusion events"),
    ("factor_with_one_level", _factor_one_level, "factors.1.levels", "at least 2 items"),
    ("section_missing", _section_missing, "outcomes", "Field required"),
    ("dosing_unknown_factor", _dosing_unknown_factor, "dosing.factor", "unknown factor 'dose'"),
    ("rsi_event_unnamed", _rsi_event_unnamed, "reference_safety_information.expected.0", "pt_code, its pt_name"),
    ("rsi_code_malformed", _rsi_code_malformed, "reference_safety_information.expected.0.pt_code", "pattern"),
    ("rsi_listed_twice", _rsi_listed_twice, "reference_safety_information", "listed more than once: nausea"),
    ("rsi_without_a_drug", _rsi_without_a_drug, "reference_safety_information", "doses no study drug"),
    ("rsi_without_a_version", _rsi_without_a_version, "reference_safety_information.version", "Field required"),
    ("contact_names_the_drug", _contact_names_the_drug, "sites.0.contact.place", "must not name 'ketamine'"),
    ("contact_names_the_trial", _contact_names_the_trial, "sites.1.contact.reply_to", "must not name 'kare'"),
    (
        "contact_translation_names_the_trial",
        _contact_translation_names_the_trial,
        "sites.0.contact.place_translations.es",
        "must not name 'kare'",
    ),
    (
        "contact_translation_not_a_language",
        _contact_translation_not_a_language,
        "sites.0.contact.place_translations.Spanish.[key]",
        "not a language code",
    ),
    ("unit_translation_empty", _unit_translation_empty, "outcomes.unit.name_translations.es", "at least 1"),
    ("contact_phone_impossible", _contact_phone_impossible, "sites.0.contact.phone", "international form"),
    ("contact_name_forges_a_header", _contact_name_forges_a_header, "sites.0.contact.name", "one line without"),
    ("contact_reply_to_not_an_address", _contact_reply_to_not_an_address, "sites.0.contact.reply_to", "not an email"),
]
INVALID_IDS = [case[0] for case in INVALID]


def _broken(mutate: Callable[[dict], None]) -> dict:
    doc = kare_document()
    mutate(doc)
    return doc


# --- the shipped files ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [KARE_FILE, MORE_KARE_FILE], ids=["kare", "more-kare"])
def test_shipped_protocol_file_is_valid(path):
    protocol = load_file(path)

    assert protocol.trial.code == yaml.safe_load(path.read_text(encoding="utf-8"))["trial"]["code"]


def test_kare_is_a_full_two_by_two_factorial():
    protocol = load_file(KARE_FILE)

    assert [f.code for f in protocol.factors] == ["drug", "therapy"]
    assert {tuple(sorted(arm.levels.items())) for arm in protocol.arms} == {
        (("drug", drug), ("therapy", therapy))
        for drug in ("ketamine", "placebo")
        for therapy in ("therapy", "education")
    }


def test_fingerprint_does_not_depend_on_key_order():
    reordered = dict(reversed(list(kare_document().items())))

    assert validate(reordered).fingerprint() == load_file(KARE_FILE).fingerprint()


# --- each invalid variant, through the validator ----------------------------------------------


@pytest.mark.parametrize(("mutate", "path", "fragment"), [case[1:] for case in INVALID], ids=INVALID_IDS)
def test_invalid_variant_is_refused_naming_its_field(mutate, path, fragment):
    with pytest.raises(ProtocolInvalid) as caught:
        validate(_broken(mutate))

    assert problem_named(caught.value.problems, path, fragment), caught.value.problems


def test_text_that_is_not_yaml_is_refused_with_its_line():
    with pytest.raises(ProtocolInvalid) as caught:
        parse("trial: {code: KARE\nsites: [", source="broken.yaml")

    [(where, message)] = caught.value.problems
    assert where.startswith("line ")
    assert "not valid YAML" in message


def test_yaml_that_is_not_a_mapping_is_refused():
    with pytest.raises(ProtocolInvalid) as caught:
        parse("- just\n- a list\n")

    assert caught.value.problems[0][0] == "(document)"


def test_unreadable_file_is_refused_naming_the_file(tmp_path):
    missing = tmp_path / "nowhere.yaml"

    with pytest.raises(ProtocolInvalid) as caught:
        load_file(missing)

    assert caught.value.problems[0][0] == str(missing)
    assert "cannot read the file" in caught.value.problems[0][1]


def test_field_problems_are_all_reported_at_once():
    doc = _broken(_unknown_time_zone)
    _negative_dose(doc)
    _unknown_field(doc)
    _age_reversed(doc)

    with pytest.raises(ProtocolInvalid) as caught:
        validate(doc)

    problems = caught.value.problems
    assert problem_named(problems, "sites.0.time_zone", "unknown time zone")
    assert problem_named(problems, "dosing.regimen.0.mg_per_kg", "greater than or equal to 0")
    assert problem_named(problems, "trial.colour", "unknown field")
    assert problem_named(problems, "eligibility.age", "before it starts")


def test_cross_reference_problems_are_all_reported_at_once():
    doc = _broken(_arm_unknown_level)
    _anchor_unknown(doc)
    _dose_unknown_level(doc)
    _primary_window_unknown(doc)
    _duplicate_site(doc)

    with pytest.raises(ProtocolInvalid) as caught:
        validate(doc)

    problems = caught.value.problems
    assert problem_named(problems, "arms.0.levels.drug", "unknown level 'aspirin'")
    assert problem_named(problems, "schedule.2.anchor", "unknown anchor")
    assert problem_named(problems, "dosing.regimen.1.level", "unknown level 'aspirin'")
    assert problem_named(problems, "outcomes.primary_window", "unknown window")
    assert problem_named(problems, "sites", "duplicate code 'exeter'")


# --- each invalid variant, through the command --------------------------------------------------


def _counts() -> tuple[int, int, int]:
    return Trial.objects.count(), ProtocolVersion.objects.count(), Site.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(("mutate", "path", "fragment"), [case[1:] for case in INVALID], ids=INVALID_IDS)
def test_load_protocol_refuses_invalid_variant_and_writes_nothing(tmp_path, mutate, path, fragment):
    file = tmp_path / "broken.yaml"
    file.write_text(yaml.safe_dump(_broken(mutate), sort_keys=False), encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("load_protocol", str(file), "--system")

    message = str(caught.value)
    assert "is not a valid protocol" in message
    assert f"  {path}: " in message
    assert fragment in message
    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_load_protocol_refuses_text_that_is_not_yaml(tmp_path):
    file = tmp_path / "broken.yaml"
    file.write_text("trial: {code: KARE\nsites: [", encoding="utf-8")

    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("load_protocol", str(file), "--system")

    assert _counts() == (0, 0, 0)


@pytest.mark.django_db
def test_load_protocol_lists_every_problem_of_a_file(tmp_path):
    doc = _broken(_unknown_time_zone)
    _negative_dose(doc)
    _unknown_field(doc)
    file = tmp_path / "broken.yaml"
    file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    with pytest.raises(CommandError) as caught:
        call_command("load_protocol", str(file), "--system")

    message = str(caught.value)
    assert "(3 problem(s))" in message
    for path in ("sites.0.time_zone", "dosing.regimen.0.mg_per_kg", "trial.colour"):
        assert f"  {path}: " in message


@pytest.mark.django_db
def test_invalid_amendment_leaves_the_trial_as_it_was(tmp_path, kare):
    before = _counts()
    file = tmp_path / "broken.yaml"
    doc = _broken(_anchor_later)
    doc["version"]["label"] = "2.0"
    file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    with pytest.raises(CommandError, match=r"schedule\.2\.anchor"):
        call_command("load_protocol", str(file), "--amend", "--reason", "new schedule", "--system")

    assert _counts() == before


@pytest.mark.parametrize(
    ("breaks", "read"),
    [
        (_infusions_differ, lambda p: {d.infusion_minutes for d in p.dosing.regimen}),
        (_programmes_differ, lambda p: {g.sessions for g in p.therapy.programmes}),
    ],
    ids=["infusions", "programmes"],
)
def test_a_stored_version_still_reads_after_a_blinding_rule_it_breaks_was_added(breaks, read):
    """A rule for new protocols must not make a running trial's stored version unreadable."""
    doc = kare_document()
    breaks(doc)
    with pytest.raises(ProtocolInvalid, match=r"blinded to the .+ factor cannot tell them apart"):
        validate(doc)
    assert len(read(from_document(doc))) == 2  # read back as stored, the difference kept
