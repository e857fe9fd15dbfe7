"""Finding a dossier without a manual: by code, ID number or a name typed without diacritics; lists filtered,
sorted, paged and counted; a code typed into the address bar. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from admin.app import create_app
from tests.access_world import CHIENG_SINH, PASSWORD, TUAN_GIAO, World, build_world
from tests.integration.test_api import sign_in
from tests.journeys import doc
from workflow.engine import Actor
from workflow.names import fold

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

POLICE = Actor("cax.tuangiao", f"{TUAN_GIAO}.commune_police")
# Extra dossiers of Xã Tuần Giáo, a few days apart: (full name, ID number, birth date)
EXTRA = [
    ("Nguyễn Văn A", "011093000001", "1993-01-01"),
    ("Nguyễn Văn An", "011093000002", "1993-02-02"),
    ("Nguyễn Thị Bình", "011193000003", "1993-03-03"),
    ("Đặng Văn Đạt", "011094000004", "1994-04-04"),
    ("Lường Văn Xuân", "011095000005", "1995-05-05"),
    ("Quàng Thị Nga", "011195000006", "1995-06-06"),
    ("Lò Văn Minh", "011096000007", "2009-07-07"),  # a minor when the violation is recorded
]


class Site:
    """The world, its extra dossiers (name → id, code), and an API client."""

    def __init__(self, world: World, client: TestClient, extra: dict[str, tuple[int, str]]) -> None:
        self.world, self.client, self.extra = world, client, extra

    def get(self, url: str, user: str = "cax.tuangiao", **params: Any) -> Any:
        return self.client.get(url, params=params, auth=(user, PASSWORD))

    def listed(self, user: str = "cax.tuangiao", **params: Any) -> dict[str, Any]:
        got = self.get("/api/v1/dossiers", user, **params)
        assert got.status_code == 200, got.text
        return dict(got.json())

    def codes(self, user: str = "cax.tuangiao", **params: Any) -> list[str]:
        return [i["code"] for i in self.listed(user, **params)["items"]]


def _populate(world: World) -> dict[str, tuple[int, str]]:
    rt, clock = world.rt, world.clock
    extra = {}
    for name, id_number, born in EXTRA:
        clock.advance(days=3)
        result = rt.engine.open_dossier(
            person={"full_name": name, "id_number": id_number, "birth_date": born},
            commune_code=TUAN_GIAO,
            violation=doc("12/BB-VPHC", clock.today),
            actor=POLICE,
        )
        assert result.dossier_id is not None and result.code is not None
        extra[name] = (result.dossier_id, result.code)
    return extra


def _site(url: str) -> Iterator[Site]:
    world = build_world(url)
    extra = _populate(world)
    with TestClient(create_app(world.rt)) as client:
        yield Site(world, client, extra)
    world.rt.db.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from _site(f"sqlite:///{tmp_path_factory.mktemp('search')}/s.db")


# --------------------------------------------------------------------------- the search box


class TestSearch:
    @pytest.mark.parametrize(
        ("typed", "found"),
        [
            ("nguyen van a", ["Nguyễn Văn A", "Nguyễn Văn An"]),  # words are prefixes: "a" also begins "An"
            ("NGUYEN   van  AN", ["Nguyễn Văn An"]),
            ("dang van dat", ["Đặng Văn Đạt"]),  # đ → d
            ("Đặng", ["Đặng Văn Đạt"]),  # typed with diacritics, found too
            (unicodedata.normalize("NFD", "Quàng Thị Nga"), ["Quàng Thị Nga"]),  # decomposed Unicode
            ("thi", ["Nguyễn Thị Bình", "Quàng Thị Nga"]),
            ("van xuan luong", ["Lường Văn Xuân"]),  # any word order
            ("an", ["Nguyễn Văn An"]),  # a word's beginning, not any substring ("Xuân", "Đạt" do not match)
            ("nguyen van b", []),
            ("%", []),  # LIKE wildcards are plain characters
        ],
    )
    def test_a_name_typed_without_diacritics_finds_the_person(self, site: Site, typed: str, found: list[str]) -> None:
        result = site.listed(q=typed, sort="code")

        names = sorted(i["full_name"] for i in result["items"])
        assert names == sorted(found) and result["total"] == len(found)
        assert result["matched_by"] == "name"

    def test_an_id_number_finds_exactly_its_person_through_the_salted_hash(self, site: Site) -> None:
        _, code = site.extra["Đặng Văn Đạt"]

        assert site.codes(q="011094000004") == [code]
        assert site.codes(q="011 094 000 004") == [code]  # spaces as typed from a card
        assert site.codes(q="011094000009") == []  # another number: nobody
        assert site.codes(q="01109400000") == []  # 11 digits is not an ID number, and no name matches it
        assert site.listed(q="011094000004")["matched_by"] == "id_number"

    def test_a_dossier_code_finds_that_dossier_in_any_letter_case(self, site: Site) -> None:
        _, code = site.extra["Nguyễn Văn An"]

        assert site.codes(q=code.lower()) == [code]
        assert site.listed(q=code)["matched_by"] == "code"
        assert site.codes(q="HS-1999-000001") == []

    def test_the_search_is_restricted_to_what_the_user_may_read(self, site: Site) -> None:
        assert site.codes("cax.chiengsinh", q="nguyen van a") == []
        assert site.codes("cax.chiengsinh", q="011094000004") == []
        assert site.codes("cax.chiengsinh", q=site.extra["Nguyễn Văn An"][1]) == []
        assert site.codes("cat.dienbien", q="nguyen van a") == []  # reads the dossiers, not the people
        assert len(site.codes("vks.khuvuctuangiao", q="nguyen van a")) == 2  # the procuracy of the area


# --------------------------------------------------------------------------- lists


class TestLists:
    def test_counts_every_readable_dossier_by_stage_and_filters_by_stage(self, site: Site) -> None:
        everything = site.listed(page_size=200)
        compiling = site.listed(state="dossier_compiling")

        assert everything["total"] == len(everything["items"]) == 1 + len(EXTRA)  # Xã Tuần Giáo's only
        assert everything["counts"]["by_state"] == {"dossier_compiling": 1, "violation_recorded": len(EXTRA)}
        assert [i["code"] for i in compiling["items"]] == [site.world.codes["tuan_giao"]]
        assert compiling["counts"]["by_state"] == everything["counts"]["by_state"]  # counts ignore the stage filter

    def test_filters_by_commune_agency_regime_track_and_overdue(self, site: Site) -> None:
        user = "vks.khuvuctuangiao"  # reads both communes
        all_codes = set(site.codes(user, page_size=200))

        assert site.codes(user, commune=CHIENG_SINH) == [site.world.codes["chieng_sinh"]]
        assert set(site.codes(user, commune=TUAN_GIAO, page_size=200)) == all_codes - {site.world.codes["chieng_sinh"]}
        assert set(site.codes(user, agency=f"{CHIENG_SINH}.commune_police")) == {site.world.codes["chieng_sinh"]}
        assert set(site.codes(user, regime="vn-2026", page_size=200)) == all_codes
        assert site.codes(user, regime="vn-2021") == []
        assert site.codes(user, track="minor") == [site.extra["Lò Văn Minh"][1]]
        overdue = {d["dossier_code"] for d in site.get("/api/v1/deadlines", user, overdue="true").json()}
        assert set(site.codes(user, overdue="true", page_size=200)) == overdue
        assert 0 < len(overdue) < len(all_codes)  # the earliest extras waited too long for the next step

    def test_filters_by_the_opening_date_range_in_vietnamese_or_iso_dates(self, site: Site) -> None:
        start = site.world.clock.today - timedelta(days=3 * (len(EXTRA) - 1))  # the day the first extra opened
        first_three = {site.extra[name][1] for name, _, _ in EXTRA[:3]}

        span = {"from": f"{start:%d/%m/%Y}", "to": (start + timedelta(days=6)).isoformat()}
        assert set(site.codes(**span)) == first_three

    def test_sorts_by_code_both_ways_and_by_opening(self, site: Site) -> None:
        ascending = site.codes(sort="code", page_size=200)

        assert ascending == sorted(ascending)
        assert site.codes(sort="-code", page_size=200) == ascending[::-1]
        assert site.codes(sort="-opened", page_size=200)[0] == site.extra["Lò Văn Minh"][1]  # opened last
        assert site.codes(sort="due", page_size=200)  # the soonest deadline first, dossiers without one last

    def test_pages_through_the_list_without_gaps_or_repeats(self, site: Site) -> None:
        first = site.listed(sort="code", page_size=3)
        pages = [site.codes(sort="code", page_size=3, page=n) for n in range(1, first["pages"] + 1)]

        assert first["pages"] == 3 and first["total"] == 1 + len(EXTRA)
        assert [c for page in pages for c in page] == site.codes(sort="code", page_size=200)
        assert site.listed(sort="code", page_size=3, page=99)["items"] == []

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"sort": "name"}, "sort"),
            ({"state": "nowhere"}, "state"),
            ({"regime": "vn-1990"}, "regime"),
            ({"track": "child"}, "track"),
            ({"page": "0"}, "page"),
            ({"page_size": "500"}, "page_size"),
            ({"from": "31/02/2026"}, "from"),
            ({"from": "2026-09-01", "to": "2026-08-01"}, "to"),
            ({"overdue": "perhaps"}, "overdue"),
            ({"q": "nguyen\x00"}, "q"),  # PostgreSQL text cannot hold NUL: refused, never a server error
            ({"commune": "a\x1fb"}, "commune"),
            ({"q": "   "}, None),  # an empty search is no search
        ],
    )
    def test_a_filter_that_cannot_be_used_is_refused_naming_it_in_vietnamese(
        self, site: Site, params: dict[str, str], field: str | None
    ) -> None:
        got = site.get("/api/v1/dossiers", **params)

        if field is None:
            assert got.status_code == 200
            return
        body = got.json()
        assert got.status_code == 422 and body["code"] == "validation.failed"
        assert [f["field"] for f in body["fields"]] == [field]
        assert body["message_vi"].startswith("Dữ liệu không hợp lệ") and body["fields"][0]["message_vi"]


# --------------------------------------------------------------------------- pages and the address bar


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site.world.rt)) as client:
        sign_in(client, "cax.tuangiao")
        yield client


class TestPages:
    def test_the_list_page_shows_vietnamese_labels_and_selects_not_codes(self, site: Site, browser: TestClient) -> None:
        page = browser.get("/dossiers", params={"state": "violation_recorded", "page_size": "10"}).text

        assert '<option value="violation_recorded" selected>Đã lập biên bản vi phạm</option>' in page
        assert '<option value="adult" >Người từ đủ 18 tuổi trở lên</option>' in page
        assert "Xã Tuần Giáo" in page and f"{len(EXTRA)}</strong> hồ sơ" in page
        assert "violation_recorded</td>" not in page  # the stage column shows the label

    def test_the_header_search_box_finds_a_name_without_diacritics(self, site: Site, browser: TestClient) -> None:
        page = browser.get("/dossiers", params={"q": "dang van dat"}).text

        assert "Đặng Văn Đạt" in page and site.extra["Đặng Văn Đạt"][1] in page
        assert 'role="search"' in page

    def test_an_exact_code_in_the_search_box_opens_the_dossier(self, site: Site, browser: TestClient) -> None:
        dossier_id, code = site.extra["Nguyễn Văn An"]

        got = browser.get("/dossiers", params={"q": f" {code.lower()} "}, follow_redirects=False)

        assert got.status_code == 303 and got.headers["location"] == f"/dossiers/{dossier_id}"

    @pytest.mark.parametrize("path", ["/ho-so/{code}", "/dossiers/by-code/{code}"])
    def test_a_code_in_the_address_bar_leads_to_the_dossier_or_a_vietnamese_not_found_page(
        self, site: Site, browser: TestClient, path: str
    ) -> None:
        dossier_id, code = site.extra["Nguyễn Văn An"]

        found = browser.get(path.format(code=code), follow_redirects=False)
        missing = browser.get(path.format(code="HS-2026-999999"))
        unreadable = browser.get(path.format(code=site.world.codes["chieng_sinh"]))

        assert found.status_code == 303 and found.headers["location"] == f"/dossiers/{dossier_id}"
        assert missing.status_code == unreadable.status_code == 404
        assert "Không tìm thấy hồ sơ có mã HS-2026-999999" in missing.text
        assert re.sub(r"HS-\d{4}-\d+", "X", missing.text.split("<main>")[1]) == re.sub(
            r"HS-\d{4}-\d+", "X", unreadable.text.split("<main>")[1]
        )

    def test_the_api_answers_a_code_with_the_dossier_or_404(self, site: Site) -> None:
        dossier_id, code = site.extra["Nguyễn Văn An"]

        assert site.get(f"/api/v1/dossiers/by-code/{code.lower()}").json()["id"] == dossier_id
        missing = site.get("/api/v1/dossiers/by-code/HS-2026-999999")
        assert missing.status_code == 404 and missing.json()["code"] == "dossier.not_found"
        assert "Không tìm thấy hồ sơ có mã HS-2026-999999" in missing.json()["message_vi"]

    def test_a_bad_filter_on_the_page_keeps_the_form_and_says_why(self, browser: TestClient) -> None:
        got = browser.get("/dossiers", params={"from": "hôm qua", "q": "nguyen"})

        assert got.status_code == 422 and "không phải là ngày (dd/mm/yyyy)" in got.text
        assert 'value="nguyen"' in got.text  # nothing typed is lost


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_site(request: pytest.FixtureRequest) -> Iterator[Site]:
    from tests import pg_server

    base = request.getfixturevalue("postgres_url")
    name = "rehab_search"
    url = pg_server.create_database(base, name)
    try:
        yield from _site(url)
    finally:
        pg_server.drop_database(base, name)


@pytest.mark.postgres
def test_on_postgresql_the_same_search_lists_and_restrictions(pg_site: Site) -> None:
    site = pg_site
    assert sorted(i["full_name"] for i in site.listed(q="nguyen van a")["items"]) == ["Nguyễn Văn A", "Nguyễn Văn An"]
    assert site.codes(q="dang van dat") == [site.extra["Đặng Văn Đạt"][1]]
    assert site.codes(q="011094000004") == [site.extra["Đặng Văn Đạt"][1]]
    assert site.codes(q="%") == []
    assert site.codes("cax.chiengsinh", q="nguyen van a") == []
    first = site.listed(sort="due", page_size=3)
    assert first["total"] == 1 + len(EXTRA) and first["pages"] == 3
    codes = site.codes(sort="code", page_size=200)
    assert codes == sorted(codes) and site.codes(track="minor") == [site.extra["Lò Văn Minh"][1]]
    overdue = {d["dossier_code"] for d in site.get("/api/v1/deadlines", overdue="true").json()}
    assert set(site.codes(overdue="1", page_size=200)) == overdue and overdue
    assert fold("Đặng") == "dang"
