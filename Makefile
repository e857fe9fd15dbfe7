# Developer and CI entry points.  Recipes use tabs.

VENV := .venv
UV := uv
PYTEST_ARGS ?=

# `pip install --user uv` puts uv here.
export PATH := $(HOME)/.local/bin:$(PATH)

.PHONY: ensure-uv install test lint

ensure-uv:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --break-system-packages uv

install: ensure-uv
	$(UV) sync --frozen

test: install
	$(UV) run --frozen pytest -q $(PYTEST_ARGS)

lint: install
	$(UV) run --frozen ruff check .
