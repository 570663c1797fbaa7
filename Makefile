# Convene's verbs. `make up` runs the whole system; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ROLE ?= regional_admin
# A regional role's default region; national and service tokens carry none (shared/auth.py refuses one that does).
REGION ?= $(if $(filter national service,$(ROLE)),,Y56)
SUB ?=
# A demo person of the development identity provider (e.g. demo-participant-y56): their role, region and Convene id.
PERSON ?=

.PHONY: up down test token logs status bench drills lint format venv kafka settings clean assets chromium

up: venv kafka assets  ## install, start Kafka, the services (web + worker), the console, its identity provider and the mailbox, and load the demo
	@deploy/local/stack.sh up

down:  ## stop everything `make up` started
	@deploy/local/stack.sh down

status:  ## what is running
	@deploy/local/stack.sh status

logs:  ## follow every process's log
	@deploy/local/stack.sh logs

test: venv kafka assets chromium lint  ## install, check the code's form, start a test broker and PostgreSQL, run the whole suite, stop them
	@deploy/local/isolated.sh test $(PYTEST_ARGS)

lint: venv  ## the formatter's and linter's checks (ruff, configured in pyproject.toml); `make format` applies them
	@$(BIN)/ruff format --check . || { echo "make lint: files above are not formatted; run make format" >&2; exit 1; }
	@$(BIN)/ruff check --quiet .

format: venv  ## format the code and apply the linter's safe fixes
	@$(BIN)/ruff check --fix --quiet . || true
	@$(BIN)/ruff format --quiet .

bench: venv kafka  ## benchmarks against the framework's and Kafka client's floors: make bench [BENCH_ARGS=--quick]
	@deploy/local/isolated.sh bench $(BENCH_ARGS)

drills: venv kafka  ## fault drills (broker, worker, web and PostgreSQL crashes; rebalance; poison): make drills [DRILLS_ARGS=--short]
	@deploy/local/isolated.sh drills $(DRILLS_ARGS)

token: venv  ## a development bearer token, as the development identity provider of make up issues: make token ROLE=regional_admin REGION=Y56 [SUB=id], or make token PERSON=demo-participant-y56
	@JWT_ISSUER=$${JWT_ISSUER:-http://127.0.0.1:9400} $(BIN)/python -m services.cli token $(if $(PERSON),--person $(PERSON),--role $(ROLE) $(if $(REGION),--region $(REGION)) $(if $(SUB),--subject $(SUB)))

settings: venv  ## rewrite the README's configuration table from the settings objects
	@$(BIN)/python -m services.cli settings --readme

venv: $(VENV)/.installed

assets: venv node_modules/.package-lock.json  ## the console's NHS.UK frontend (package.json, npm) built into services/console/static
	@$(BIN)/python -m services.console.build_assets

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

chromium:  ## Debian's chromium for the console's browser tests (apt-get, when missing)
	@deploy/local/chromium.sh

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

kafka:
	@deploy/kafka/kafka.sh fetch

clean: down
	rm -rf .run $(VENV) node_modules services/console/static
