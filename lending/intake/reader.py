"""
Reading an intake CSV file as a stream: the encoding is found first (one pass
over the bytes), then the rows are read with the csv module, a record at a
time, so a file of any size is read in bounded memory.

Encodings: UTF-8, with or without a byte-order mark, and GB18030 (which
includes GBK and GB2312, what Chinese core systems often write). A file is
taken for GB18030 only when its very first non-ASCII bytes are not UTF-8 and
the whole file decodes as GB18030; a UTF-8 file with a broken byte further
on is refused, naming the byte offset and row, rather than read as garbage.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

READ_BYTES = 1 << 20
# How many good UTF-8 non-ASCII characters before a bad byte make a file
# "UTF-8 with a broken byte" rather than GB18030.
UTF8_EVIDENCE = 16
# One field may hold at most this many characters: an unterminated quote
# then fails at once instead of swallowing the rest of a large file.
FIELD_SIZE_LIMIT = 64 * 1024

FILE_EMPTY = _("The file is empty: it needs a header row naming the columns.")
FILE_NOT_DECODABLE = _(
    "The file is neither UTF-8 nor GB18030: byte {offset} (row {row}) is not valid UTF-8. "
    "Save the file as UTF-8 and send it again."
)
FILE_MALFORMED = _("The CSV file is malformed at row {row}: {detail}.")


class FileRejected(Exception):
    """The file as a whole cannot be read; `row` is where (1 = the header row)."""

    def __init__(self, reason: str, *, row: int = 1, column: str = "", value: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.row = row
        self.column = column
        self.value = value


@dataclass(frozen=True)
class FileFacts:
    encoding: str  # a Python codec name: "utf-8-sig" or "gb18030"
    line_count: int  # newlines, an estimate of the rows for the progress bar
    size: int


def _non_ascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _first_invalid(fileobj, encoding: str) -> tuple[int | None, int, int]:
    """
    Decode the whole file; returns (offset of the first invalid byte or None,
    newlines before it, non-ASCII characters decoded before it).
    """
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    lines = 0
    non_ascii = 0
    while chunk := fileobj.read(READ_BYTES):
        pending = len(decoder.getstate()[0])
        try:
            non_ascii += _non_ascii(decoder.decode(chunk))
        except UnicodeDecodeError as error:
            bad = max(0, error.start - pending)
            before = chunk[:bad]
            non_ascii += _non_ascii(before.decode(encoding, "ignore"))
            return offset + bad, lines + before.count(b"\n"), non_ascii
        lines += chunk.count(b"\n")
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset, lines, non_ascii
    return None, lines, non_ascii


def file_inspect(fileobj) -> FileFacts:
    """Find the encoding of a binary file object (and refuse an empty or undecodable one)."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if not fileobj.read(4096).strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRejected(str(FILE_EMPTY))
    bad_offset, lines, non_ascii = _first_invalid(fileobj, "utf-8")
    if bad_offset is None:
        return FileFacts(encoding="utf-8-sig", line_count=lines, size=size)
    # GBK text passes for UTF-8 only by chance, and only for a character or
    # two; many good UTF-8 characters before a bad byte mean a broken UTF-8 file.
    if non_ascii < UTF8_EVIDENCE:
        gb_offset, gb_lines, _count = _first_invalid(fileobj, "gb18030")
        if gb_offset is None:
            return FileFacts(encoding="gb18030", line_count=gb_lines, size=size)
    raise FileRejected(str(FILE_NOT_DECODABLE).format(offset=bad_offset, row=lines + 1), row=lines + 1)


def csv_records(fileobj, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """
    (row number, fields) for every record of the file, the header first.
    Row numbers count records as a spreadsheet counts rows (header = 1); a
    blank line counts but is not yielded.
    """
    fileobj.seek(0)
    text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(text, strict=True)
    number = 0
    try:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileRejected(str(FILE_MALFORMED).format(row=number + 1, detail=error), row=number + 1) from None
            number += 1
            if fields:
                yield number, fields
    finally:
        # Leave the caller's file open: the wrapper would close it otherwise.
        text.detach()
