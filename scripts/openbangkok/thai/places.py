"""Province and district names as people write them -> DOPA codes, with geothai's names.

    province_of("จังหวัดกรุงเทพมหานคร") == province_of("กทม.") == ("กรุงเทพมหานคร", "10")
    bangkok_district_code("เขตบางกะปิ") == bangkok_district_code("บางกะปี") == "1006"   (a typo)

Results are cached per spelling: a large file repeats the same few hundred spellings.
"""

from __future__ import annotations

import difflib
from functools import lru_cache

import geothai

from openbangkok.thai.reference import bangkok_districts, short_name

# Spellings of Bangkok that geothai.normalize() does not bring to its name.
BANGKOK_ALIASES = {
    "กทม",
    "กรุงเทพ",
    "กรุงเทพฯ",
    "กรุงเทพมหานคร",
    "bangkok",
    "bkk",
    "krungthep",
    "bangkokmetropolis",
    "กรุงเทพมหานครฯ",
}
FUZZY_CUTOFF = 0.85  # difflib ratio; บางใหญ่ (Nonthaburi) is 0.82 from บางกอกใหญ่ and must not match


def _key(text: str) -> str:
    return geothai.normalize(text.replace("ฯ", "")).removeprefix("จังหวัด")


def _one_edit_apart(a: str, b: str) -> bool:
    """One character replaced, added or dropped."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i + 1 :] or a[i + 1 :] == b[i:]


def _closest(key: str, names: list[str]) -> str | None:
    """The one name that `key` is a typo of: similar enough, or one edit away from a name of 4+ letters."""
    close = difflib.get_close_matches(key, names, n=1, cutoff=FUZZY_CUTOFF)
    if close:
        return close[0]
    near = [name for name in names if len(name) >= 4 and _one_edit_apart(key, name)]
    return near[0] if len(near) == 1 else None


@lru_cache(maxsize=1)
def _provinces() -> dict[str, tuple[str, str]]:
    names = {}
    for province in geothai.provinces():
        names[_key(province.name_th)] = (province.name_th, province.code)
        names[_key(province.name_en)] = (province.name_th, province.code)
    bangkok = names[_key("กรุงเทพมหานคร")]
    names.update({_key(alias): bangkok for alias in BANGKOK_ALIASES})
    return names


@lru_cache(maxsize=1)
def _bangkok_districts() -> dict[str, str]:
    names = {}
    for district in bangkok_districts():
        names[_key(short_name(district.name_th))] = district.code
        names[_key(district.name_en)] = district.code
    return names


@lru_cache(maxsize=4096)
def province_of(text: str | None) -> tuple[str | None, str | None, bool]:
    """(Thai name, code, matched by similarity) of a province as written; (text, None, False) if unknown."""
    key = _key(text or "")
    if not key:
        return None, None, False
    provinces = _provinces()
    if key in provinces:
        return (*provinces[key], False)
    close = _closest(key, list(provinces))
    if close:
        return (*provinces[close], True)
    return text.strip(), None, False


@lru_cache(maxsize=4096)
def bangkok_district_code(text: str | None) -> tuple[str | None, bool]:
    """(code, matched by similarity) of a Bangkok district written with or without เขต, or with a typo."""
    key = _key(text or "")
    if not key:
        return None, False
    districts = _bangkok_districts()
    if key in districts:
        return districts[key], False
    close = _closest(key, list(districts))
    return (districts[close], True) if close else (None, False)
