"""The load test of `make bench` (bench/load.py), small: the real server on demo data, 8 clients for 3 seconds.
Not a timing: no answer is a server error and every write the server confirmed is in the database."""

from __future__ import annotations

from pathlib import Path

from bench.load import build_demo, lost_writes, run_load


def test_concurrent_clients_get_no_server_error_and_lose_no_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/load.db"
    build_demo(url, 10)
    tally, _, _ = run_load(url, clients=8, seconds=3, log=tmp_path / "serve.log")
    assert tally.server_errors == 0, tally.errors
    assert not tally.errors, tally.errors
    assert len(tally.opened) >= 8, f"each client opens a dossier first: {dict(tally.statuses)}"
    assert set(tally.latencies) >= {"open"}
    assert lost_writes(url, tally) == []
