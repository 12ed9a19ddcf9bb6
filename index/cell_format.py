"""A spreadsheet cell's value as the sheet shows it, from its Excel number format ("$40,000.00", "2 Mar 2024").

openpyxl gives the stored value (40000, a datetime) and the format string; this applies the
common parts of Excel's format language: sections for positive;negative;zero;text, quoted and
escaped literals, currency tags ([$€-407]), thousands separators, decimals, percent, scientific
notation, and date and time codes. Colours, conditions, padding and fill are layout only.
Anything else falls back to Excel's "General" display.
"""

from __future__ import annotations

import datetime as dt
import re

GENERAL_DIGITS = 10  # "General" shows up to ~11 characters; 10 significant digits is close
# Built-in format 14 is the reader's locale short date (3/2/2024 in the US, 02/03/2024 in the UK);
# openpyxl spells it "mm-dd-yy". An unambiguous ISO date is shown instead.
LOCALE_SHORT_DATE = "mm-dd-yy"

_LITERAL = 0xE000  # literal text is masked as one private-use character per piece
_MASKED = re.compile("[\ue000-\uf8ff]")
_PLACEHOLDERS = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?(?:E[+-][0#?]+)?|\.[0#?]+(?:E[+-][0#?]+)?", re.I)
_DATE_CODES = re.compile(r"\[h+\]|\[m+\]|\[s+\]|y{3,4}|yy|m{1,5}|d{1,4}|hh?|ss?|AM/PM|A/P|\.0+", re.I)
_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def shown(value: object, number_format: str | None = "General") -> str:
    """`value` as Excel displays it with `number_format`; "" for an empty cell."""
    fmt = number_format or "General"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return _date(value, fmt)
    if isinstance(value, int | float):
        return _general(value) if fmt.lower() == "general" else _number(float(value), fmt)
    return str(value).strip()


def _general(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{GENERAL_DIGITS}g}"


# --- the format's pieces ----------------------------------------------------------------


def _sections(fmt: str) -> list[str]:
    """The format's ;-separated sections (a ; inside quotes or brackets does not count)."""
    parts, current, quoted, bracket = [], "", False, False
    for ch in fmt:
        quoted = not quoted if ch == '"' else quoted
        bracket = (ch == "[" or bracket) and ch != "]" if not quoted else bracket
        if ch == ";" and not quoted and not bracket:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _masked(section: str) -> tuple[str, list[str]]:
    """The section's codes with each literal ("text", \\x, _x padding, [$€-407]) masked as one
    character, and the literals; fill (*x), colours and conditions ([Red], [>100]) dropped."""
    codes: list[str] = []
    literals: list[str] = []
    i = 0

    def literal(text: str) -> None:
        codes.append(chr(_LITERAL + len(literals)))
        literals.append(text)

    while i < len(section):
        ch, rest = section[i], section[i + 1 :]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) if end < 0 else end
            literal(section[i + 1 : end])
            i = end + 1
        elif ch in "\\_*" and rest:
            if ch != "*":
                literal(rest[0] if ch == "\\" else " ")
            i += 2
        elif ch == "[":
            end = section.find("]", i)
            end = len(section) if end < 0 else end
            inner = section[i + 1 : end]
            if inner.startswith("$"):
                literal(inner[1:].split("-", 1)[0])
            elif re.fullmatch(r"[hms]+", inner, re.I):
                codes.append(f"[{inner}]")
            i = end + 1
        else:
            codes.append(ch)
            i += 1
    return "".join(codes), literals


def _unmask(text: str, literals: list[str]) -> str:
    return _MASKED.sub(lambda m: literals[ord(m.group()) - _LITERAL], text)


# --- numbers -----------------------------------------------------------------------------


def _number(value: float, fmt: str) -> str:
    sections = _sections(fmt)
    if value < 0 and len(sections) > 1:
        section, value, sign = sections[1], -value, ""
    elif value == 0 and len(sections) > 2:
        section, sign = sections[2], ""
    else:
        section, sign = sections[0], "-" if value < 0 else ""
    codes, literals = _masked(section)
    if codes.strip().lower() in ("general", ""):
        return sign + _general(abs(value)) + _unmask(codes.replace("General", ""), literals).strip()
    match = _PLACEHOLDERS.search(codes)
    if "@" in codes or match is None:
        return _unmask(codes.replace("@", _general(value)), literals).strip()
    value = abs(value) * (100 if "%" in codes else 1)
    text = codes[: match.start()] + sign + _digits(value, match.group()) + codes[match.end() :]
    return " ".join(_unmask(text, literals).split())


def _digits(value: float, placeholders: str) -> str:
    """The number in the shape of "#,##0.00", "0.0#", "000", "0.00E+00"."""
    if re.search("E[+-]", placeholders, re.I):
        mantissa, exponent = re.split("E[+-]", placeholders.upper())
        shown_mantissa, _, power = f"{value:.{len(mantissa.partition('.')[2])}E}".partition("E")
        return f"{shown_mantissa}E{power[0]}{power[1:].lstrip('0').zfill(len(exponent))}"
    integer, _, fraction = placeholders.partition(".")
    value /= 1000 ** (len(integer) - len(integer.rstrip(",")))  # "#,##0," shows thousands
    integer = integer.rstrip(",")
    most, least = len(fraction), fraction.count("0")
    whole, _, decimals = (f"{value:,.{most}f}" if "," in integer else f"{value:.{most}f}").partition(".")
    decimals = decimals[:least] + decimals[least:].rstrip("0")
    zeros = integer.count("0")
    if zeros > len(whole.replace(",", "")):
        whole = whole.zfill(zeros)
    elif zeros == 0 and whole == "0":
        whole = ""
    return f"{whole}.{decimals}" if decimals else whole


# --- dates and times -----------------------------------------------------------------------


def _date(value: dt.datetime | dt.date | dt.time | dt.timedelta, fmt: str) -> str:
    codes, literals = _masked(_sections(fmt)[0])
    found = _DATE_CODES.findall(codes)
    if fmt == LOCALE_SHORT_DATE or not found or codes.lower() == "general":
        return _iso(value)
    if isinstance(value, dt.timedelta):
        return _elapsed(value, codes)
    moment = _as_datetime(value)
    twelve = bool(re.search("AM/PM|A/P", codes, re.I))
    parts = iter(_render(code, moment, twelve, _is_minutes(found, i)) for i, code in enumerate(found))
    return _unmask(_DATE_CODES.sub(lambda _: next(parts), codes), literals).strip()


def _as_datetime(value: dt.datetime | dt.date | dt.time) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.time):
        return dt.datetime.combine(dt.date(1899, 12, 31), value)
    return dt.datetime.combine(value, dt.time())


def _is_minutes(codes: list[str], i: int) -> bool:
    """An m or mm right after an hour code or right before a seconds code means minutes."""
    before = codes[i - 1].lower() if i > 0 else ""
    after = codes[i + 1].lower() if i + 1 < len(codes) else ""
    return len(codes[i]) <= 2 and (before.startswith(("h", "[h")) or after.startswith(("s", "[s")))


def _render(code: str, moment: dt.datetime, twelve: bool, minutes: bool) -> str:
    lower = code.lower()
    if lower.startswith("."):
        return f"{moment.microsecond / 1e6:.{len(code) - 1}f}"[1:]
    if lower in ("am/pm", "a/p"):
        word = "AM" if moment.hour < 12 else "PM"
        return word if lower == "am/pm" else word[0]
    hour = (moment.hour % 12 or 12) if twelve else moment.hour
    month = _MONTHS[moment.month - 1]
    table = {
        "yyyy": f"{moment.year:04d}",
        "yyy": f"{moment.year:04d}",
        "yy": f"{moment.year % 100:02d}",
        "mmmmm": month[0],
        "mmmm": month,
        "mmm": month[:3],
        "mm": f"{moment.minute:02d}" if minutes else f"{moment.month:02d}",
        "m": str(moment.minute) if minutes else str(moment.month),
        "dddd": _DAYS[moment.weekday()],
        "ddd": _DAYS[moment.weekday()][:3],
        "dd": f"{moment.day:02d}",
        "d": str(moment.day),
        "hh": f"{hour:02d}",
        "h": str(hour),
        "ss": f"{moment.second:02d}",
        "s": str(moment.second),
    }
    return table.get(lower, code)


def _elapsed(value: dt.timedelta, codes: str) -> str:
    """A duration as [h]:mm(:ss)."""
    hours, rest = divmod(int(value.total_seconds()), 3600)
    seconds = f":{rest % 60:02d}" if "s" in codes.lower() else ""
    return f"{hours}:{rest // 60:02d}{seconds}"


def _iso(value: dt.datetime | dt.date | dt.time | dt.timedelta) -> str:
    if isinstance(value, dt.timedelta):
        return _elapsed(value, "s")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ", timespec="minutes")
    return value.isoformat()
