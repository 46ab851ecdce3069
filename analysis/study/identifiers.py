"""Direct identifiers: the header words and value shapes that must never enter a data folder.

The centres write headers in Chinese, in pinyin or in English, so header words are listed in
all three and matched after normalising case, width, spaces and punctuation. Values are
checked for the shapes of a Chinese resident ID (with its check digit), a mainland mobile
number and an e-mail address: study numbers must be pseudonymous.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

#: Words that mark a column of direct identifiers, by language. A header containing any of
#: them (after `normalise_header`) is refused, unless it is a column of the data dictionary.
IDENTIFIER_WORDS: dict[str, tuple[str, ...]] = {
    "Chinese": (
        "姓名", "名字", "电话", "手机", "联系方式", "身份证", "证件号", "住院号", "病案号",
        "病历号", "门诊号", "就诊卡", "医保", "社保", "出生", "生日", "地址", "住址", "邮箱",
        "邮编", "护照", "微信",
    ),
    "pinyin": (
        "xingming", "mingzi", "dianhua", "shouji", "lianxi", "shenfenzheng", "sfz",
        "zhengjian", "zhuyuan", "binganhao", "binglihao", "menzhen", "yibao", "shebao",
        "chusheng", "shengri", "dizhi", "zhuzhi", "youxiang", "huzhao", "weixin",
    ),
    "English": (
        "name", "phone", "mobile", "tel", "email", "address", "street", "postcode", "zip",
        "nationalid", "idnumber", "idcard", "passport", "ssn", "socialsecurity", "mrn",
        "medicalrecord", "hospitalnumber", "hospitalno", "hospitalid", "inpatient",
        "outpatient", "admission", "recordnumber", "birth", "dob", "initials", "insurance",
        "wechat",
    ),
}

_ALL_WORDS = tuple(w for words in IDENTIFIER_WORDS.values() for w in words)

_MOBILE = r"1[3-9]\d{9}"
_RESIDENT_ID = r"\d{17}[\dX]"
_EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
_LONGEST_IDENTIFIER = 64
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_header(name: str) -> str:
    """Lower case, full-width folded, without spaces, underscores or punctuation."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\W_]+", "", folded)


def identifier_word(header: str) -> str | None:
    """The identifier word a column name contains (None if it contains none)."""
    normal = normalise_header(header)
    return next((word for word in _ALL_WORDS if word in normal), None)


def resident_id_check_digit_ok(text: str) -> bool:
    """True when an 18-character Chinese resident ID carries a valid ISO 7064 check digit."""
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == text[17].upper()


def identifier_kinds(values: pd.Series) -> pd.Series:
    """The values that look like identifiers, each with its kind ('resident ID number',
    'mobile phone number' or 'e-mail address'); empty when none does (the usual case)."""
    text = values.astype("string[pyarrow]")
    maybe = text.str.contains(r"\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d.*\d|@", regex=True)
    maybe = maybe.fillna(False).to_numpy(dtype=bool)
    if not maybe.any():
        return pd.Series([], dtype="string", index=values.index[:0])
    candidates = text[maybe]
    # RE2 (Arrow) searches in linear time, so a long free-text cell cannot stall the check.
    email = candidates.str.contains(_EMAIL, regex=True).fillna(False).to_numpy(dtype=bool)
    found = {label: "e-mail address" for label in candidates.index[email]}
    for label, value in candidates[~email].items():
        kind = _number_kind(str(value))
        if kind:
            found[label] = kind
    return pd.Series(found, dtype="string", index=list(found)).sort_index()


def _kind_of(value: str) -> str | None:
    if re.search(_EMAIL, value[:_LONGEST_IDENTIFIER]):
        return "e-mail address"
    return _number_kind(value)


def _number_kind(value: str) -> str | None:
    if len(value) > _LONGEST_IDENTIFIER:
        return None
    digits = re.sub(r"^(\+86|0086)", "", re.sub(r"[\s\-]", "", value)).upper()
    if re.fullmatch(_MOBILE, digits):
        return "mobile phone number"
    if re.fullmatch(_RESIDENT_ID, digits) and resident_id_check_digit_ok(digits):
        return "resident ID number"
    return None


def looks_like_identifier(value: str) -> bool:
    """True for one value shaped like a resident ID, a mobile number or an e-mail address."""
    return _kind_of(value) is not None


def masked(value: str) -> str:
    """An identifier-like value shown with its middle hidden, so the message does not repeat it."""
    return value[:3] + "…" + value[-2:] if len(value) > 6 else "…"
