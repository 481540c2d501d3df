"""API of the exports: ``GET /api/trials/{code}/exports/{format}/?dataset=...`` answers the file.

CSV and Dataset-JSON are streamed as they are produced (``StreamingHttpResponse``); Stata, SPSS,
SAS transport and ODM are written to a temporary file first and streamed back from it
(``FileResponse``), the file removed once sent. Permission, blinding and the export log are
:func:`outcomes.exports.export_open`'s business; errors answer in the one error shape.
"""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from core.errors import Invalid, NotFound
from outcomes.exports import DATASETS, DEFAULT_DATASETS, FORMATS, ExportFile, export_open
from trials.selectors import trial_get

_FILE = OpenApiResponse(OpenApiTypes.BINARY, description="The file, as an attachment.")


class ExportApi(APIView):
    """One dataset of the trial as a file: what the caller may export, with the factor columns
    they may see (none for a blinded caller), logged with its checksum."""

    def get_format_suffix(self, **kwargs):
        return None  # ``format`` in this URL names the export's format, not a renderer

    def perform_content_negotiation(self, request, force=False):
        # The file's type is the format's; errors answer as JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="trials_exports_retrieve",
        parameters=[
            OpenApiParameter("format", str, OpenApiParameter.PATH, enum=list(FORMATS), description="The file format."),
            OpenApiParameter(
                "dataset",
                str,
                enum=list(DATASETS),
                description="endpoints (default), adsl, adtte, drinking or dictionary; clinical for odm.",
            ),
            OpenApiParameter("blinded", bool, description="Leave every factor column out."),
        ],
        responses={
            (200, "text/csv"): _FILE,
            (200, "application/x-stata-dta"): _FILE,
            (200, "application/x-spss-sav"): _FILE,
            (200, "application/x-sas-xport"): _FILE,
            (200, "application/xml"): _FILE,
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="Dataset-JSON 1.1."),
        },
    )
    def get(self, request, code: str, format: str):
        trial = trial_get(user=request.user, code=code)
        if format not in FORMATS:
            raise NotFound(f"no export format {format!r}")
        dataset = request.query_params.get("dataset") or DEFAULT_DATASETS[format][0]
        blinded = request.query_params.get("blinded", "").lower()
        if blinded not in ("", "true", "false", "1", "0"):
            raise Invalid("blinded is true or false", fields={"blinded": ["Must be a valid boolean."]})
        export = export_open(
            user=request.user,
            trial=trial,
            format=format,
            dataset=dataset,
            via="api",
            blinded=blinded in ("true", "1"),
        )
        return export_response(export)


def export_response(export: ExportFile):
    """The file of an export under way as an attachment: streamed as it is produced, or from its
    temporary file (removed once sent). The API and the trial's page answer with this one."""
    if export.chunks is not None:
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    else:
        handle = export.path.open("rb")
        export.path.unlink()  # the open handle keeps the data until the response is closed
        response = FileResponse(handle, as_attachment=True, filename=export.filename, content_type=export.content_type)
    response["X-Export-Id"] = str(export.log.pk)
    return response
