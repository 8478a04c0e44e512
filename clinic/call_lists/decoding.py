"""Bytes of an uploaded file -> CSV records with their line numbers.

Clinics export call lists from whatever their scheduling system or spreadsheet produces: UTF-8 with or
without a byte-order mark, Excel's Windows-1252 ("José" as byte 0xE9), UTF-16 "Unicode text", comma,
semicolon (European Excel) or tab delimited, CRLF line ends, quoted fields holding commas and newlines,
and stray blank lines. All of that is accepted here; anything that is not text is a whole-file error."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from clinic.call_lists.report import WholeFileError

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# No call-list cell spans this many lines: a record that does has a missing closing quote swallowing the
# rows after it, which must not pass silently. (csv's own 128 KiB field limit catches the rest.)
MAX_RECORD_LINES = 50


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "cp1252"
    # UTF-8 files with a few invalid bytes: line number -> what is wrong there. Those rows are rejected
    # (their bytes replaced by U+FFFD so the rest of the line still parses); every other row keeps its
    # correct UTF-8 decoding.
    bad_lines: dict[int, str] = field(default_factory=dict)


def decode(data: bytes) -> DecodedText:
    """Decode an upload: UTF-16 with BOM, UTF-8 (BOM optional), else Windows-1252.

    Raises WholeFileError for binary content (NUL bytes or many control characters), which is what an
    .xlsx, PDF or image uploaded by mistake looks like."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return DecodedText(_check_text(data.decode("utf-16")), "utf-16")
        except UnicodeDecodeError:
            raise WholeFileError(_NOT_TEXT) from None
    if b"\x00" in data:
        raise WholeFileError(_NOT_TEXT)
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8):] if bom else data
    try:
        return DecodedText(_check_text(body.decode("utf-8")), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        pass
    # Not clean UTF-8. Decide for the whole file on the evidence: characters that decode as valid multi-byte
    # UTF-8 sequences (a Windows-1252 file almost never forms one by accident: "é" is the single byte E9)
    # against bytes that are invalid UTF-8. A file that is mostly UTF-8 stays UTF-8 and only the lines with
    # invalid bytes are reported; re-decoding it as Windows-1252 would garble every accented name in it
    # ("García" -> "GarcÃ­a") without a word.
    loose = body.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for ch in loose if "\udc80" <= ch <= "\udcff")
    valid_multibyte = sum(1 for ch in loose if ord(ch) > 127 and not "\udc80" <= ch <= "\udcff")
    if bom or valid_multibyte >= invalid:
        return _utf8_with_bad_lines(loose, "utf-8-sig" if bom else "utf-8", valid_multibyte)
    # Windows-1252 leaves five bytes undefined; latin-1 maps them to C1 controls instead of failing.
    text = body.decode("cp1252", errors="strict") if _cp1252_ok(body) else body.decode("latin-1")
    return DecodedText(_check_text(text), "cp1252")


def _utf8_with_bad_lines(loose: str, encoding: str, valid_multibyte: int) -> DecodedText:
    """Replace each invalid byte (a surrogate escape) by U+FFFD and note its line (numbered as
    `iter_records` numbers them: LF, CRLF and lone CR each end one line)."""
    bad: dict[int, str] = {}
    out: list[str] = []
    line = 1
    for i, ch in enumerate(loose):
        if "\udc80" <= ch <= "\udcff":
            bad.setdefault(line, f"byte 0x{ord(ch) - 0xDC00:02X} is not valid UTF-8 (the rest of the file is UTF-8:"
                                 f" {valid_multibyte} accented character(s) read as UTF-8); this row was not"
                                 " imported: retype the character and upload again")
            out.append("\ufffd")
            continue
        out.append(ch)
        if ch == "\n" or (ch == "\r" and loose[i + 1:i + 2] != "\n"):
            line += 1
    return DecodedText(_check_text("".join(out)), encoding, bad)


_NOT_TEXT = ("the file is not a CSV text file (it looks binary, e.g. an Excel .xlsx or a PDF): "
             "save it as CSV (comma, semicolon or tab separated) and upload that")


def _cp1252_ok(body: bytes) -> bool:
    try:
        body.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _check_text(text: str) -> str:
    """Reject text that is mostly control characters (binary that happened to decode)."""
    sample = text[:8192]
    if not sample.strip():
        raise WholeFileError("the file is empty: it needs a header line and at least one appointment row")
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(2, len(sample) // 100):
        raise WholeFileError(_NOT_TEXT)
    return text


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter from the header line: the one of comma, semicolon, tab that occurs most
    outside quotes. (csv.Sniffer guesses from data rows and is fooled by commas inside names/notes.)"""
    header = _first_nonblank_line(text)
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def delimiter_name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def _first_nonblank_line(text: str) -> str:
    for line in io.StringIO(text, newline=""):
        if line.strip():
            return line
    return ""


def iter_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number of the record's first line, fields), skipping blank lines and rows whose
    cells are all empty (Excel writes `,,,,` for a cleared row). Line numbers count physical lines,
    so they match what a text editor (or the spreadsheet row number) shows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    previous_end = 0
    try:
        for fields in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if previous_end - start >= MAX_RECORD_LINES:
                raise WholeFileError(
                    f"line {start}: a double quote opens a cell that runs on to line {previous_end}; usually a "
                    "missing closing quote — fix that line in a spreadsheet and save again as CSV")
            if not fields or all(not f.strip() for f in fields):
                continue
            yield start, fields
    except csv.Error as exc:
        raise WholeFileError(
            f"line {previous_end + 1}: the CSV cannot be read ({exc}); usually an unbalanced double quote — "
            "fix that line in a spreadsheet and save again as CSV"
        ) from None
