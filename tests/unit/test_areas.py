"""The area hierarchy other parts query (access rules, the sweep, the engine): communes, districts, regions and
provinces, dated, with the communes merged on 01/07/2025 and their successors (the demo's file, no database)."""

from __future__ import annotations

from datetime import date

from demo.reference import DISTRICT, PROVINCE, REGION, commune_2025_code, commune_code, demo_directory

QUAI_CANG, TUAN_GIAO = commune_code("Xã Quài Cang"), commune_2025_code("Xã Tuần Giáo")


class TestAreaHierarchy:
    def test_parents_of_a_commune_go_up_to_its_province(self) -> None:
        directory = demo_directory()

        assert directory.parents_of(QUAI_CANG) == [QUAI_CANG, DISTRICT[0], PROVINCE[0]]
        assert directory.parents_of(TUAN_GIAO) == [TUAN_GIAO, PROVINCE[0]]

    def test_lineage_reaches_a_merged_communes_successor_and_a_new_communes_predecessors(self) -> None:
        directory = demo_directory()

        assert directory.lineage(QUAI_CANG)[:4] == [QUAI_CANG, DISTRICT[0], PROVINCE[0], TUAN_GIAO]
        assert directory.lineage(TUAN_GIAO) == [TUAN_GIAO, PROVINCE[0], DISTRICT[0]]
        assert commune_code("Xã Quài Nưa") not in directory.lineage(QUAI_CANG)  # a sibling is not an ancestor

    def test_the_area_on_a_day_follows_the_merger(self) -> None:
        directory = demo_directory()

        assert directory.area_on(QUAI_CANG, date(2025, 6, 30)) == QUAI_CANG
        assert directory.area_on(QUAI_CANG, date(2025, 7, 1)) == TUAN_GIAO
        assert directory.area_on(TUAN_GIAO, date(2026, 1, 1)) == TUAN_GIAO

    def test_province_of_areas_and_agencies(self) -> None:
        directory = demo_directory()

        assert {directory.province_of(c) for c in (QUAI_CANG, TUAN_GIAO, REGION[0], DISTRICT[0])} == {PROVINCE[0]}
        assert directory.agency_province(f"{TUAN_GIAO}.commune_police") == PROVINCE[0]
        assert directory.province_of("nowhere") is None

    def test_a_new_communes_police_serves_the_dossiers_of_the_communes_it_took_in(self) -> None:
        directory = demo_directory()

        served = directory.communes_served(f"{TUAN_GIAO}.commune_police")

        assert served == {TUAN_GIAO, QUAI_CANG, commune_code("Thị trấn Tuần Giáo"), commune_code("Xã Quài Nưa")}
        assert directory.communes_served(f"{QUAI_CANG}.commune_police") == {QUAI_CANG}

    def test_a_merged_communes_agencies_are_succeeded_by_the_new_communes(self) -> None:
        directory = demo_directory()

        assert directory.resolve("commune_police", QUAI_CANG, date(2025, 6, 30)) == f"{QUAI_CANG}.commune_police"
        assert directory.resolve("commune_police", QUAI_CANG, date(2025, 7, 1)) == f"{TUAN_GIAO}.commune_police"
        assert directory.resolve("commune_committee", TUAN_GIAO, date(2026, 1, 1)) == f"{TUAN_GIAO}.commune_committee"
        assert directory.successors(f"{QUAI_CANG}.commune_committee") == [f"{TUAN_GIAO}.commune_committee"]
