"""Call-list upload (multipart CSV) and its report; the import itself is `clinic.call_lists.importer`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, UploadFile, status
from fastapi.responses import Response

from clinic.call_lists.errors_export import errors_csv
from clinic.call_lists.importer import import_call_list
from clinic.call_lists.report import WholeFileError
from clinic.logs import get_logger
from clinic.settings import get_settings
from token_server.auth import ClinicScope
from token_server.call_lists.models import CallListOut, CallListSummary, ImportReportOut
from token_server.database import Conn
from token_server.errors import COMMON_RESPONSES, ErrorBody, not_found

router = APIRouter(prefix="/api/call-lists", tags=["call lists"], responses=COMMON_RESPONSES)
log = get_logger(__name__)
_CHUNK = 256 * 1024


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read at most `limit` bytes; one byte more means the upload is too large (413), without buffering it all."""
    parts: list[bytes] = []
    size = 0
    while chunk := upload.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                                f"file is larger than the {limit // (1024 * 1024)} MiB limit; split it into "
                                "smaller call lists")
        parts.append(chunk)
    return b"".join(parts)


@router.post("", response_model=ImportReportOut, status_code=status.HTTP_201_CREATED,
             responses={400: {"model": ErrorBody, "description": "empty upload"},
                        413: {"model": ErrorBody, "description": "file over the size limit"},
                        422: {"description": "the file as a whole cannot be imported (not a CSV, a required "
                                             "column missing), or the form has no `file` field"}})
def upload_call_list(caller: ClinicScope, conn: Conn,
                           file: Annotated[UploadFile, File(description="The call list, CSV")]) -> ImportReportOut:
    """Import a call list. Good rows are imported even when other rows have errors; each error names its
    row and column. Re-uploading the same file is a no-op (rows counted as unchanged)."""
    data = _read_limited(file, get_settings().import_max_bytes)
    if not data.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the uploaded file is empty")
    filename = (file.filename or "upload.csv")[:200]
    conn.commit()  # the importer commits its own transactions and wants none open
    try:
        report = import_call_list(conn, caller.clinic, data, filename=filename, source="api")
    except WholeFileError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    log.info("call_list.uploaded", clinic_id=caller.clinic_id, call_list_id=report.call_list_id,
             imported=report.imported, rejected=report.rejected, actor=caller.actor)
    return ImportReportOut.model_validate(report.to_dict())


@router.get("", response_model=list[CallListSummary])
def list_call_lists(caller: ClinicScope, conn: Conn,
                    limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[CallListSummary]:
    """The clinic's most recent uploads, newest first."""
    rows = conn.execute(
        "SELECT id, filename, status, total_rows, imported, updated, unchanged, rejected, created_at"
        " FROM call_lists WHERE clinic_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
        (caller.clinic_id, limit)).fetchall()
    return [CallListSummary.model_validate(r) for r in rows]


def _get(conn: Conn, caller: ClinicScope, call_list_id: int) -> dict:
    row = conn.execute("SELECT * FROM call_lists WHERE id = %s AND clinic_id = %s",
                       (call_list_id, caller.clinic_id)).fetchone()
    if row is None:
        raise not_found("call list", call_list_id)
    return row


@router.get("/{call_list_id}", response_model=CallListOut)
def get_call_list(call_list_id: int, caller: ClinicScope, conn: Conn) -> CallListOut:
    """One upload: its counts and every row error."""
    return CallListOut.model_validate(_get(conn, caller, call_list_id))


@router.get("/{call_list_id}/errors.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "row,column,message"}})
def download_errors(call_list_id: int, caller: ClinicScope, conn: Conn) -> Response:
    """The upload's row errors as CSV (row, column, message)."""
    row = _get(conn, caller, call_list_id)
    return Response(errors_csv(row["errors"]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="call-list-{call_list_id}-errors.csv"'})
