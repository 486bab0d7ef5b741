"""
SMS length and segments, as a provider bills them.

A text that the GSM 03.38 alphabet can carry goes as GSM-7: 160 septets in
one segment, 153 a segment once it must be split (the rest carries the
concatenation header). The extension table's characters (€ [ ] { } ~ ^ | \\
and the form feed) take two septets each, an escape and the character. Any
other character (Chinese, most emoji) sends the whole text as UCS-2: 70
characters in one segment, 67 a segment when split, a character outside the
Basic Multilingual Plane counting two. The alphabet itself comes from the
`gsm0338` codec (PyPI, a kept implementation of the 3GPP table), not a table
of our own.
"""

from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7 = "gsm7"
UCS2 = "ucs2"
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    """A text's encoding, its length in that encoding's units and the segments it takes."""

    encoding: str
    units: int
    segments: int
    per_segment: int

    @property
    def single_limit(self) -> int:
        return GSM7_SINGLE if self.encoding == GSM7 else UCS2_SINGLE

    @property
    def encoding_name(self) -> str:
        return "GSM-7" if self.encoding == GSM7 else "UCS-2"


def gsm7_septets(text: str) -> int | None:
    """The septets `text` takes in GSM-7, or None when it has a character GSM-7 cannot carry."""
    try:
        return len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def ucs2_units(text: str) -> int:
    # UTF-16 code units: a character beyond U+FFFF is a surrogate pair, two units.
    return len(text.encode("utf-16-le")) // 2


def sms_length(text: str) -> SmsLength:
    """How `text` goes as an SMS: encoding, units, segments (0 for an empty text)."""
    septets = gsm7_septets(text)
    if septets is not None:
        encoding, units, single, part = GSM7, septets, GSM7_SINGLE, GSM7_PART
    else:
        encoding, units, single, part = UCS2, ucs2_units(text), UCS2_SINGLE, UCS2_PART
    if units == 0:
        return SmsLength(encoding, 0, 0, single)
    if units <= single:
        return SmsLength(encoding, units, 1, single)
    return SmsLength(encoding, units, -(-units // part), part)
