"""The SMS segment counter: GSM-7 (160/153), its extension characters (two septets), UCS-2 (70/67)."""

import pytest

from collection.messaging.sms import GSM7, UCS2, sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        # GSM-7's own accented letters and symbols are one septet each.
        ("Çé£¥§ÄÖÑÜà@$!", GSM7, 13, 1),
        ("你" * 70, UCS2, 70, 1),
        ("你" * 71, UCS2, 71, 2),
        ("你" * 134, UCS2, 134, 2),
        ("你" * 135, UCS2, 135, 3),
    ],
)
def test_length_and_segments(text, encoding, units, segments):
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_extension_characters_take_two_septets():
    # € [ ] { } ~ ^ | \ are in the extension table: an escape and the character.
    assert sms_length("€[]{}~^|\\").units == 18
    assert sms_length("€" * 80).segments == 1
    assert sms_length("€" * 80 + "a").segments == 2


def test_one_chinese_character_makes_the_whole_text_ucs2():
    text = "Your payment is due 明天"
    length = sms_length(text)
    assert length.encoding == UCS2
    assert length.single_limit == 70
    assert sms_length("a" * 69 + "你").segments == 1
    assert sms_length("a" * 70 + "你").segments == 2


def test_a_character_outside_the_basic_plane_counts_two_in_ucs2():
    assert sms_length("😀").units == 2
    assert sms_length("😀" * 35).segments == 1
    assert sms_length("😀" * 36).segments == 2
