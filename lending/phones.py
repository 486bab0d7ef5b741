"""
Telephone numbers and the time zones a borrower may be in.

A number is stored as the lender sent it (ContactPoint.value) and once more
normalised to E.164 (ContactPoint.number_e164, "+8613800001111"), so that
the same number is the same whoever's record it is on and however it was
written ("138 0000 1111", "+86 13800001111"). A number without a country
code is read in the borrower's country: the United States when their
address is in a US state or territory or their zone is American, China
otherwise (the lender's home market).

Time zones come from three places: the borrower's own zone (Borrower.
time_zone, when the lender sent one), their address (the province or state,
ADDRESS_ZONES) and their own telephone numbers (phonenumbers' zone of the
number's area code). There is no silent default: a borrower of whom none is
known has no zone, and the compliance guard refuses timed contact until one
is set.

Conventions chosen for China: every province is on Beijing time
(Asia/Shanghai), including Tibet, where no other time is in common use.
Xinjiang keeps Beijing time officially, but much of its population lives on
Xinjiang time (UTC+6, Asia/Urumqi): an address in Xinjiang gives both zones,
so a contact must fit the hours in both. A US state that spans zones gives
every zone it spans (Florida: Eastern and Central), for the same reason.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_time_zones

CHINA, UNITED_STATES = "CN", "US"
SHANGHAI, URUMQI = "Asia/Shanghai", "Asia/Urumqi"

# Provinces of mainland China, by the first characters of their name (as
# addresses write them: "新疆维吾尔自治区", "新疆", "Xinjiang").
CHINA_PROVINCE_ZONES = {
    "新疆": (SHANGHAI, URUMQI),
    "xinjiang": (SHANGHAI, URUMQI),
}
CHINA_PROVINCES = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "beijing",
    "tianjin",
    "hebei",
    "shanxi",
    "inner mongolia",
    "nei mongol",
    "liaoning",
    "jilin",
    "heilongjiang",
    "shanghai",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "guangxi",
    "hainan",
    "chongqing",
    "sichuan",
    "guizhou",
    "yunnan",
    "tibet",
    "xizang",
    "shaanxi",
    "gansu",
    "qinghai",
    "ningxia",
    "xinjiang",
)
OTHER_CHINESE_REGIONS = {
    "香港": ("Asia/Hong_Kong",),
    "hong kong": ("Asia/Hong_Kong",),
    "澳门": ("Asia/Macau",),
    "macau": ("Asia/Macau",),
    "macao": ("Asia/Macau",),
    "台湾": ("Asia/Taipei",),
    "taiwan": ("Asia/Taipei",),
}

E, C, M, P = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
# US states and territories → every zone each spans (the first is where most of its people live).
US_STATE_ZONES = {
    ("AL", "Alabama"): (C,),
    ("AK", "Alaska"): ("America/Anchorage", "America/Adak"),
    ("AZ", "Arizona"): ("America/Phoenix", M),  # the Navajo Nation keeps daylight saving time
    ("AR", "Arkansas"): (C,),
    ("CA", "California"): (P,),
    ("CO", "Colorado"): (M,),
    ("CT", "Connecticut"): (E,),
    ("DE", "Delaware"): (E,),
    ("DC", "District of Columbia"): (E,),
    ("FL", "Florida"): (E, C),
    ("GA", "Georgia"): (E,),
    ("HI", "Hawaii"): ("Pacific/Honolulu",),
    ("ID", "Idaho"): ("America/Boise", P),
    ("IL", "Illinois"): (C,),
    ("IN", "Indiana"): ("America/Indiana/Indianapolis", C),
    ("IA", "Iowa"): (C,),
    ("KS", "Kansas"): (C, M),
    ("KY", "Kentucky"): (E, C),
    ("LA", "Louisiana"): (C,),
    ("ME", "Maine"): (E,),
    ("MD", "Maryland"): (E,),
    ("MA", "Massachusetts"): (E,),
    ("MI", "Michigan"): ("America/Detroit", "America/Menominee"),
    ("MN", "Minnesota"): (C,),
    ("MS", "Mississippi"): (C,),
    ("MO", "Missouri"): (C,),
    ("MT", "Montana"): (M,),
    ("NE", "Nebraska"): (C, M),
    ("NV", "Nevada"): (P, M),  # West Wendover keeps Mountain time
    ("NH", "New Hampshire"): (E,),
    ("NJ", "New Jersey"): (E,),
    ("NM", "New Mexico"): (M,),
    ("NY", "New York"): (E,),
    ("NC", "North Carolina"): (E,),
    ("ND", "North Dakota"): (C, M),
    ("OH", "Ohio"): (E,),
    ("OK", "Oklahoma"): (C,),
    ("OR", "Oregon"): (P, "America/Boise"),
    ("PA", "Pennsylvania"): (E,),
    ("RI", "Rhode Island"): (E,),
    ("SC", "South Carolina"): (E,),
    ("SD", "South Dakota"): (C, M),
    ("TN", "Tennessee"): (C, E),
    ("TX", "Texas"): (C, M),
    ("UT", "Utah"): (M,),
    ("VT", "Vermont"): (E,),
    ("VA", "Virginia"): (E,),
    ("WA", "Washington"): (P,),
    ("WV", "West Virginia"): (E,),
    ("WI", "Wisconsin"): (C,),
    ("WY", "Wyoming"): (M,),
    ("PR", "Puerto Rico"): ("America/Puerto_Rico",),
    ("VI", "U.S. Virgin Islands"): ("America/St_Thomas",),
    ("GU", "Guam"): ("Pacific/Guam",),
    ("MP", "Northern Mariana Islands"): ("Pacific/Saipan",),
    ("AS", "American Samoa"): ("Pacific/Pago_Pago",),
}
_US_BY_NAME = {name.lower(): zones for key in US_STATE_ZONES for name in key for zones in [US_STATE_ZONES[key]]}


def address_zones(province: str) -> tuple[str, ...]:
    """The zones of an address's province or state ("广东省", "New York", "NY"), or () when it is not known."""
    name = (province or "").strip()
    if not name:
        return ()
    lowered = name.lower()
    if lowered in _US_BY_NAME:
        return _US_BY_NAME[lowered]
    for prefix, zones in (*CHINA_PROVINCE_ZONES.items(), *OTHER_CHINESE_REGIONS.items()):
        if lowered.startswith(prefix):
            return zones
    if any(lowered.startswith(prefix) for prefix in CHINA_PROVINCES):
        return (SHANGHAI,)
    return ()


def region_for(*, province: str = "", time_zone: str = "") -> str:
    """The country a number without a country code is read in: the US for a US address or zone, else China."""
    if (province or "").strip().lower() in _US_BY_NAME:
        return UNITED_STATES
    if time_zone.startswith("America/") or time_zone in {"Pacific/Honolulu", "Pacific/Guam", "Pacific/Pago_Pago"}:
        return UNITED_STATES
    return CHINA


def number_e164(value: str, region: str = CHINA) -> str:
    """The number in E.164 ("+8613800001111"), or "" when `value` is not a possible telephone number."""
    try:
        number = phonenumbers.parse(value or "", region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def borrower_number_e164(value: str, borrower) -> str:
    """`number_e164` read in the borrower's country."""
    return number_e164(value, region_for(province=borrower.province, time_zone=borrower.time_zone))


def number_zones(e164: str) -> tuple[str, ...]:
    """The zones of a normalised number's area (a +1 808 number: Pacific/Honolulu), or () when unknown."""
    if not e164:
        return ()
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ()
    return tuple(zone for zone in phone_time_zones.time_zones_for_number(number) if known_zone(zone))


def known_zone(name: str) -> bool:
    if not name or name.startswith("Etc/Unknown"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def borrower_zones(*, time_zone: str, province: str, numbers=()) -> tuple[str, ...]:
    """
    Every zone the borrower may be in, the primary first: their own zone when
    set (it stands for the address's zones when it is one of them: a zone is
    more precise than a state), else the address's; then the zones of their
    own numbers. () when none is known, or when the borrower's own zone is
    no zone at all (a mistake to correct, not to guess around).
    """
    if time_zone and not known_zone(time_zone):
        return ()
    zones = []
    from_address = address_zones(province)
    if time_zone:
        zones.append(time_zone)
        if time_zone not in from_address:
            zones.extend(from_address)
    else:
        zones.extend(from_address)
    for number in numbers:
        zones.extend(number_zones(number))
    return tuple(dict.fromkeys(zones))
