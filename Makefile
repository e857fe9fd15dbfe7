# Developer and CI entry points.  Recipes use tabs.
#   make run   — install into .venv, create the SQLite demo database, start server + scheduler
#   make test  — the whole test suite (SQLite, a real PostgreSQL server, SMTP, browser)

UV := uv
PYTEST_ARGS ?=
REHAB := $(UV) run --frozen rehab

# `pip install --user uv` puts uv here.
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: ensure-uv install run demo-db test lint typecheck check format bench docs

ensure-uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --break-system-packages uv

install: ensure-uv
	$(UV) sync --frozen

var/rehab.db: | install
	$(REHAB) init
	$(REHAB) demo

demo-db: var/rehab.db

run: install demo-db
	@echo "Demo logins (password 'demo'), one per agency: cax.xatuangiao (Công an xã Tuần Giáo, from 01/07/2025), cax.quaicang (Công an xã Quài Cang, merged into it), ubndx.quaicang, toakv.khuvuctuangiao (TAND khu vực), cat.dienbien, cscn.dienbien, vks.khuvuctuangiao / vks.tuangiao (Viện kiểm sát, read-only), admin"
	$(REHAB) serve

test: install
	$(UV) run --frozen pytest -q $(PYTEST_ARGS)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: install
	$(UV) run --frozen mypy

# What CI runs: style, types, then the whole suite.
check: lint typecheck test

format: install
	$(UV) run --frozen ruff format .

docs: install
	$(UV) run --frozen python -m states.docs

bench: install
	$(UV) run --frozen python -m bench
