"""`rehab open --json FILE`: a script opens a dossier; refusals and bad fields exit non-zero with every reason."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from admin.cli import app
from demo.reference import commune_2025_code
from tests.journeys import make_runtime

runner = CliRunner()
COMMUNE = commune_2025_code("Xã Tuần Giáo")
POLICE = f"{COMMUNE}.commune_police"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("REHAB_DATABASE_URL", url)
    rt, _ = make_runtime(url)
    rt.db.dispose()
    return tmp_path


def request(folder: Path, **person: Any) -> str:
    body = {
        "person": {"full_name": "Lò Văn Minh", "birth_date": "1990-05-01", "id_number": "011090001234", **person},
        "commune": COMMUNE,
        "violation_record": {"number": "12/BB-VPHC", "date": (date.today() - timedelta(days=1)).isoformat()},
    }
    path = folder / "open.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_opens_a_dossier_and_the_same_key_opens_nothing_new(database: Path) -> None:
    args = ["open", "--json", request(database), "--agency", POLICE, "--user", "cax.quaicang", "--key", "k-1"]

    first = runner.invoke(app, args)
    again = runner.invoke(app, args)

    assert first.exit_code == 0, first.output
    made = json.loads(first.stdout)
    assert (made["state"], made["regime"]) == ("violation_recorded", "vn-2026") and made["code"].startswith("HS-")
    assert again.exit_code == 0 and json.loads(again.stdout)["id"] == made["id"]
    assert "nothing new was written" in again.stderr


def test_police_of_another_commune_are_refused_with_exit_3_and_the_reason(database: Path) -> None:
    other = f"{commune_2025_code('Xã Chiềng Sinh')}.commune_police"

    result = runner.invoke(app, ["open", "--json", request(database), "--agency", other])

    assert result.exit_code == 3
    assert "refused [actor.outside_jurisdiction]" in result.stderr and "Nghị định 116/2021" in result.stderr


def test_every_bad_field_is_printed_and_the_exit_code_is_2(database: Path) -> None:
    result = runner.invoke(
        app, ["open", "--json", request(database, id_number="123", birth_date="2999-01-01"), "--agency", POLICE]
    )

    assert result.exit_code == 2
    assert "invalid person.id_number: Số định danh cá nhân (CCCD) phải gồm đúng 12 chữ số" in result.stderr
    assert "invalid person.birth_date: Ngày sinh không được ở tương lai." in result.stderr


@pytest.mark.parametrize(
    ("file_text", "message"), [(None, "cannot read a JSON body"), ("{oops", "cannot read a JSON body")]
)
def test_an_unreadable_file_exits_2(database: Path, file_text: str | None, message: str) -> None:
    path = database / "bad.json"
    if file_text is not None:
        path.write_text(file_text, encoding="utf-8")

    result = runner.invoke(app, ["open", "--json", str(path), "--agency", POLICE])

    assert result.exit_code == 2 and message in result.stderr
