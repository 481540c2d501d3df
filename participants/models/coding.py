"""The medical dictionaries adverse events are coded to: a loaded release (MedDRA or CTCAE, its
version, who loaded it and the SHA-256 of its files) and its terms.

Nothing licensed is shipped: a unit loads the release it holds a licence for
(``manage.py load_dictionary``). A term is a lowest level term (LLT) with its preferred term (PT)
and the PT's primary system organ class (SOC); a CTCAE term is its MedDRA code and term, with the
MedDRA SOC named by the CTCAE list (which carries no SOC code) and its grade definitions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core import audit


class DictionaryKind(models.TextChoices):
    MEDDRA = "meddra", "MedDRA"
    CTCAE = "ctcae", "CTCAE"


@audit.track()
class DictionaryRelease(models.Model):
    """One release of a dictionary, loaded once; its terms are never changed after loading."""

    kind = models.CharField(max_length=10, choices=DictionaryKind.choices)
    version = models.CharField(max_length=20)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(auto_now_add=True)
    # file name -> SHA-256 of its bytes, as loaded
    sha256 = models.JSONField(default=dict)
    terms_loaded = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["kind", "-loaded_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="dictionary_release_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"


class DictionaryTerm(models.Model):
    """A codable term of a release: the LLT, its PT and the PT's primary SOC (codes and names).

    Not audited row by row (a release is tens of thousands of rows written once, by one audited
    load): the release's row records who loaded it and the files' fingerprints.
    """

    release = models.ForeignKey(DictionaryRelease, on_delete=models.PROTECT, related_name="terms")
    llt_code = models.CharField(max_length=10)
    llt_name = models.CharField(max_length=300)
    pt_code = models.CharField(max_length=10)
    pt_name = models.CharField(max_length=300)
    soc_code = models.CharField(max_length=10, blank=True)
    soc_name = models.CharField(max_length=300)
    # MedDRA's currency flag: a non-current LLT is kept for old data but not coded to
    current = models.BooleanField(default=True)
    # CTCAE: the definition of each grade ("1".."5"), "" where the grade does not apply
    grades = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["release_id", "llt_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["release", "llt_code"], name="dictionary_term_once")]
        indexes = [models.Index(fields=["release", "llt_name"], name="dictionary_term_name")]

    def __str__(self) -> str:
        return f"{self.llt_name} ({self.llt_code})"
