"""Every text a participant reads has every language of :class:`reminders.models.Language`.

The message files (``reminders/locale/<language>/LC_MESSAGES/django.po``) are checked against
what the code and templates ask for today: a fresh extraction (Django's ``makemessages``, on a
copy of the app) adds no message, every message is translated and not fuzzy, each translation keeps
its placeholders, and the compiled ``.mo`` file says what the ``.po`` says.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from reminders.models import Language

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "reminders"
TRANSLATED = [code for code in Language.values if code != Language.ENGLISH]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def _po(language: str) -> Path:
    return APP / "locale" / language / "LC_MESSAGES" / "django.po"


def _key(entry) -> tuple[str, str]:
    return entry.msgctxt or "", entry.msgid


def test_a_language_beside_english_is_shipped():
    assert TRANSLATED, "reminders speak one more language than English"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(language):
    catalogue = polib.pofile(str(_po(language)))
    assert not catalogue.untranslated_entries()
    assert not catalogue.fuzzy_entries()
    assert not catalogue.obsolete_entries()
    for entry in catalogue.translated_entries():
        assert sorted(PLACEHOLDER.findall(entry.msgstr)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_file_says_what_the_message_file_says(language):
    po = polib.pofile(str(_po(language)))
    mo = polib.mofile(str(_po(language).with_suffix(".mo")))
    assert {_key(e): e.msgstr for e in mo if e.msgid} == {_key(e): e.msgstr for e in po if e.msgid}


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("TRIALTRACKER_REQUIRE_SERVICES"), reason="needs GNU gettext"
)
@pytest.mark.parametrize("language", TRANSLATED)
def test_no_message_of_the_code_or_templates_is_missing_from_the_message_file(language, tmp_path):
    copy = tmp_path / "reminders"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.mo"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "trialtracker.settings", "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-P", "-m", "django", "makemessages", "-l", language, "--no-location", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
    shipped = {_key(e) for e in polib.pofile(str(_po(language)))}
    missing = [msgid for ctxt, msgid in map(_key, fresh) if (ctxt, msgid) not in shipped]
    assert not missing, f"not in reminders/locale/{language}: {missing}"
