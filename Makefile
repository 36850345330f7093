# The same commands CI runs. `make run`, `make test` and `make lint` are the README's commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SHELL := bash
.SHELLFLAGS := -eo pipefail -c

.PHONY: setup run test test-unit test-integration test-kafka lint kafka schemas clean

setup: $(STAMP)

# pip's own lines show progress ("Collecting ..."); PYTHONWARNINGS hides setuptools' generic
# warning box about editable installs, which says nothing about Usul.
$(STAMP): pyproject.toml
	@echo "Installing Usul and its dependencies into $(VENV) (about 2 minutes on a fresh machine)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore $(BIN)/pip install --progress-bar off -e '.[test,dev,deploy]' | grep --line-buffered -E '^(Collecting|Successfully installed)' | cut -c1-100
	@touch $(STAMP)

run: setup  ## embedded broker, worker, web UI on :6066, and the bundled sample day's brief
	$(BIN)/usul up --demo

test: setup  ## every layer; integration tests on the embedded broker
	$(BIN)/pytest -q

test-unit: setup
	$(BIN)/pytest -q -m "not integration"

test-kafka: setup kafka  ## the integration tests again, on Apache Kafka
	USUL_TEST_BROKER=kafka $(BIN)/pytest -q -m integration tests/integration

lint: setup  ## ruff, with the settings in pyproject.toml
	$(BIN)/ruff check .

kafka:
	deploy/kafka/kafka.sh fetch

schemas: setup
	$(BIN)/usul schemas

clean:
	rm -rf $(VENV) var .cache .pytest_cache
