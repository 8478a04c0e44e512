"""Call-list import: a clinic's CSV of upcoming appointments -> patients and appointments.

Public API (the CLI and the token server call it):
    import_call_list(conn, clinic, data, *, filename, source="cli", now=None, progress=None) -> ImportReport
    WholeFileError   -- the upload as a whole was refused (nothing imported); message says what to do
    errors_csv(errors) -- the report's row errors as a CSV safe to open in a spreadsheet
Module per concern: decoding (bytes -> records), columns (header -> fields), rows (pure row rules),
phone_cache (fast to_e164), importer (the bulk database path), errors_export, report.
"""

from clinic.call_lists.errors_export import errors_csv
from clinic.call_lists.importer import import_call_list
from clinic.call_lists.report import ImportReport, RowError, WholeFileError

__all__ = ["ImportReport", "RowError", "WholeFileError", "errors_csv", "import_call_list"]
