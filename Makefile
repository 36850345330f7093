# The same commands CI runs. `make run`, `make test` and `make lint` are the README's commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test test-unit test-integration test-kafka lint kafka schemas clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev,deploy]'
	touch $(STAMP)

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
