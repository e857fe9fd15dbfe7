"""A name typed without diacritics finds the same dossiers whether an index serves it or not, on both databases.

SQLite finds the candidates through the trigram FTS5 mirror of the folded names (migration 0016), PostgreSQL
through its `pg_trgm` index (migration 0015); both keep the word-prefix LIKE conditions. Each search is compared
with the plain rule applied in Python to every person (`fold`, a word of the name starting with each typed word),
and the mirror follows a corrected name (the triggers).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text, update

from tests.journeys import AGENCY_OF, COMMUNE, actor, doc, in_office
from workflow import search
from workflow.access import scope_of
from workflow.db import reading
from workflow.names import fold
from workflow.runtime import Runtime
from workflow.tables import Person

PERSON = Person.__table__  # type: ignore[attr-defined]
NAMES = [
    "Nguyễn Văn A",
    "Nguyễn Văn An",
    "Nguyễn Thị Bình",
    "Đặng Văn Đạt",
    "Lường Văn Xuân",
    "Quàng Thị Nga",
    "Lò Văn Minh",
    "Vũ Minh Hưng",
    "Hứa Thị Hưng",
    "Trần Anh Tuấn",
    "Lê Văn Hùng",
    "Lương Thị Mỹ",
]
QUERIES = [
    "nguyen",  # the first word of several names
    "van an",  # a word inside the name, and a prefix: not "Văn A" alone
    "hung",  # "Hưng" and "Hùng" fold to the same word
    "minh",  # first-name and middle-name positions
    "ng",  # shorter than a trigram: the LIKE conditions alone
    "le van",  # "le" too short for the index, "van" served by it
    "dat",  # "Đạt": đ folds to d
    "thi nga",
    "uan",  # inside a word, not at its start: no match
    "tuan anh",  # both words present, in the other order: a match (each word is a prefix of some word)
    'a"b',  # a quote in the text cannot break the index's query
    "xyz",
]


@dataclass(frozen=True)
class Reader:
    username: str
    agency_id: str
    role: str = "staff"


@pytest.fixture
def named(journey_runtime: tuple[Runtime, Any]) -> Iterator[tuple[Runtime, date]]:
    rt, clock = journey_runtime
    for i, name in enumerate(NAMES):
        rt.engine.open_dossier(
            person={"full_name": name, "id_number": f"0110900{i:05d}", "birth_date": "1990-05-01"},
            commune_code=COMMUNE,
            violation=doc(f"{i}/BB-VPHC", clock.today),
            actor=in_office(rt, clock.today, actor("commune_police")),
            facts={},
        )
    yield rt, clock.today


def _found(rt: Runtime, today: date, q: str) -> set[str]:
    reader = Reader("cax", AGENCY_OF["commune_police"])  # reads the persons of its commune
    scope = scope_of(reader, rt.engine.directory(), today)
    filters = search.parse_filters({"q": q, "page_size": "200"}, rt.regimes)
    with reading(rt.db) as conn:
        page = search.search(conn, scope, filters, today=today, tz=rt.tz, id_hash=rt.engine.id_hash)
    assert page.total == len(page.items)
    return {item["full_name"] for item in page.items}


def _by_rule(names: list[str], q: str) -> set[str]:
    words = fold(q).split()
    return {n for n in names if all(any(w.startswith(t) for w in fold(n).split()) for t in words)}


@pytest.mark.parametrize("q", QUERIES)
def test_a_name_search_finds_what_the_plain_rule_finds(named: tuple[Runtime, date], q: str) -> None:
    rt, today = named

    assert _found(rt, today, q) == _by_rule(NAMES, q)


def test_the_expected_names_are_found(named: tuple[Runtime, date]) -> None:
    rt, today = named

    assert _found(rt, today, "van an") == {"Nguyễn Văn An"}
    assert _found(rt, today, "hung") == {"Vũ Minh Hưng", "Hứa Thị Hưng", "Lê Văn Hùng"}
    assert _found(rt, today, "uan") == set()


def test_a_corrected_name_is_found_by_its_new_words_only(named: tuple[Runtime, date]) -> None:
    rt, today = named
    with rt.db.begin() as conn:
        person = conn.execute(select(PERSON.c.id).where(PERSON.c.full_name == "Quàng Thị Nga")).scalar_one()
        new = "Quàng Thị Ngân"
        conn.execute(update(PERSON).where(PERSON.c.id == person).values(full_name=new, name_folded=fold(new)))

    assert _found(rt, today, "ngan") == {"Quàng Thị Ngân"}
    assert _found(rt, today, "quang thi ng") == {"Quàng Thị Ngân"}
    assert _found(rt, today, "nga") == {"Quàng Thị Ngân"}  # a prefix of the new word
    assert _found(rt, today, "quang nga") == {"Quàng Thị Ngân"}


def test_the_names_have_a_trigram_index(named: tuple[Runtime, date]) -> None:
    rt, _ = named
    with rt.db.connect() as conn:
        if rt.db.dialect.name == "postgresql":  # pg_trgm (migration 0015); its use: test_scale_explain
            assert conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_person_name_trgm'")).first()
            return
        mirrored = conn.execute(text("SELECT count(*) FROM person_name_fts WHERE person_name_fts MATCH '\"van\"'"))
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT rowid FROM person_name_fts WHERE person_name_fts MATCH '\"nguyen\"'"
        ).all()

        assert mirrored.scalar_one() == sum("van" in fold(n) for n in NAMES)
    assert any("VIRTUAL TABLE INDEX" in row[-1] for row in plan)
