"""
Reading an intake CSV file as a stream: the file is checked first (one pass
over the bytes: it decodes strictly in the encoding its sender declared and
holds no NUL byte), then the rows are read with the csv module, a record at
a time, so a file of any size is read in bounded memory.

Encodings are declared, never guessed: UTF-8 (with or without a byte-order
mark) or GB18030 (which includes GBK and GB2312, what Chinese core systems
often write). A GBK file can be valid UTF-8 by chance, and a UTF-8 file can
decode as GB18030: guessing stores garbled names. A file that does not decode
in the declared encoding is refused, naming the byte offset and row.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

READ_BYTES = 1 << 20
# The encodings a sender may declare (lending.models.ImportBatch.Encoding) and
# the Python codec each is read with: "utf-8-sig" skips a byte-order mark if
# there is one.
CODECS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}
ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GB18030"}
UTF8_BOM = codecs.BOM_UTF8
# One field may hold at most this many characters: an unterminated quote
# then fails at once instead of swallowing the rest of a large file.
FIELD_SIZE_LIMIT = 64 * 1024

FILE_EMPTY = _("The file is empty: it needs a header row naming the columns.")
FILE_NOT_DECODABLE = _(
    "The file is not valid {encoding}: byte {offset} (row {row}) does not decode. "
    "Choose the encoding the file was saved in (or save it as UTF-8) and send it again."
)
FILE_HAS_NUL = _("The file holds a NUL byte at byte {offset} (row {row}): it is not a CSV text file.")
FILE_BOM_BUT_GB18030 = _("The file begins with a UTF-8 byte-order mark but GB18030 was chosen: choose UTF-8.")
ENCODING_UNKNOWN = _("Unknown encoding {encoding}: choose UTF-8 or GB18030.")
BODY_NOT_DECODABLE = _("The body is not valid {encoding}: byte {offset} does not decode.")
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
    encoding: str  # the Python codec to read it with: "utf-8-sig" or "gb18030"
    line_count: int  # newlines, an estimate of the rows for the progress bar
    size: int


def codec_of(encoding: str) -> str:
    """The Python codec for a declared encoding, or FileRejected."""
    try:
        return CODECS[encoding]
    except KeyError:
        raise FileRejected(str(ENCODING_UNKNOWN).format(encoding=encoding)) from None


def _first_bad_byte(fileobj, codec: str) -> tuple[int | None, str, int]:
    """
    Decode the whole file strictly; returns (offset of the first byte that
    does not decode or is NUL, or None; "nul" or "undecodable"; newlines in the file).
    """
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    lines = 0
    while chunk := fileobj.read(READ_BYTES):
        nul = chunk.find(b"\x00")
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            bad = max(0, error.start - pending)
            if 0 <= nul < bad:
                return offset + nul, "nul", lines
            return offset + bad, "undecodable", lines
        if nul >= 0:
            return offset + nul, "nul", lines
        lines += chunk.count(b"\n")
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset, "undecodable", lines
    return None, "", lines


def _row_at(fileobj, codec: str, offset: int) -> int:
    """
    The row (as a spreadsheet counts them, header = 1) that holds byte
    `offset`: the line breaks before it outside quoted fields, plus one. The
    bytes before `offset` decode (it is the first bad one).
    """
    fileobj.seek(0)
    decoder = codecs.getincrementaldecoder(codec)()
    remaining = offset
    row = 1
    quoted = False
    while remaining > 0 and (chunk := fileobj.read(min(READ_BYTES, remaining))):
        remaining -= len(chunk)
        pieces = decoder.decode(chunk).split("\n")
        for piece in pieces[:-1]:
            if piece.count('"') % 2:
                quoted = not quoted
            if not quoted:
                row += 1
        if pieces[-1].count('"') % 2:
            quoted = not quoted
    return row


def file_inspect(fileobj, encoding: str) -> FileFacts:
    """
    Check a binary file object in its declared encoding ("utf-8" or
    "gb18030"): refuse an empty file, one that does not decode strictly, and
    one with a NUL byte, naming the byte offset and the row.
    """
    codec = codec_of(encoding)
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    start = fileobj.read(4096)
    if not start.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRejected(str(FILE_EMPTY))
    if codec == "gb18030" and start.startswith(UTF8_BOM):
        raise FileRejected(str(FILE_BOM_BUT_GB18030))
    bad_offset, problem, lines = _first_bad_byte(fileobj, codec)
    if bad_offset is None:
        return FileFacts(encoding=codec, line_count=lines, size=size)
    row = _row_at(fileobj, codec, bad_offset)
    if problem == "nul":
        reason = str(FILE_HAS_NUL).format(offset=bad_offset, row=row)
    else:
        reason = str(FILE_NOT_DECODABLE).format(encoding=ENCODING_NAMES[encoding], offset=bad_offset, row=row)
    raise FileRejected(reason, row=row)


def text_decode(data: bytes, encoding: str) -> str:
    """A request body in its declared encoding, strictly (FileRejected naming the byte offset)."""
    codec = codec_of(encoding)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        reason = str(BODY_NOT_DECODABLE).format(encoding=ENCODING_NAMES[encoding], offset=error.start)
        raise FileRejected(reason) from None


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
