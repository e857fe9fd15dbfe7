"""Names folded for search: "Nguyễn Văn A", typed as "nguyen van a", finds the person.

Pure text functions (no I/O). `fold` is what the `person.name_folded` column stores and what a query is
folded with, so both sides agree: Unicode NFD, combining marks removed, đ/Đ → d, lower case, one space.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_D = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str) -> str:
    """`text` without diacritics, lower case, words separated by one space."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.casefold().split())


def folded_name(context: Any) -> str:
    """Column default of `person.name_folded`: the folded `full_name` of the row being inserted."""
    return fold(str(context.get_current_parameters().get("full_name") or ""))
