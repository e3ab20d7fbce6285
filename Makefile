# Every target sets itself up: a virtual environment in .venv with the package and its extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint model docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fraudwall demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# The models shipped in the package: trained on a world of another seed than the demo's.
model: $(STAMP)
	$(BIN)/fraudwall simulate --people 20000 --days 30 --seed 11 --fraud-rate 200 --out out/train-world
	$(BIN)/fraudwall train --world out/train-world --out src/fraudwall/engine/default_model.json
	$(BIN)/fraudwall mules train out/train-world --out src/fraudwall/intel/mules/default_model.json
	$(BIN)/fraudwall numbers train out/train-world --out src/fraudwall/intel/numbers/default_model.json
	$(BIN)/fraudwall apps train out/train-world --out src/fraudwall/intel/apps/default_model.json
	$(BIN)/fraudwall urls train out/train-world --out src/fraudwall/intel/urls/default_model.json

# docs/features.md: every feature, from the feature registry (a test keeps it current).
docs: $(STAMP)
	$(BIN)/python -m fraudwall.engine.featureset --out docs/features.md

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out
