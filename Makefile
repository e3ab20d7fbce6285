# Every target sets itself up: a virtual environment in .venv with the package and its extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint model text-model docs clean

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
# The text model comes first: the engine's SMS model learns from its score of each text.
model: $(STAMP)
	$(BIN)/fraudwall simulate --people 20000 --days 30 --seed 11 --fraud-rate 200 --out out/train-world
	$(MAKE) text-model
	$(BIN)/fraudwall train --world out/train-world --out src/fraudwall/engine/default_model.json
	$(BIN)/fraudwall mules train out/train-world --out src/fraudwall/intel/mules/default_model.json
	$(BIN)/fraudwall numbers train out/train-world --out src/fraudwall/intel/numbers/default_model.json
	$(BIN)/fraudwall apps train out/train-world --out src/fraudwall/intel/apps/default_model.json
	$(BIN)/fraudwall urls train out/train-world --out src/fraudwall/intel/urls/default_model.json

# The shipped fraud-text model: the SMS and victims' narratives of the training world (seed
# 11) and, Apache-2.0, the TeleAntiFraud dialogues (each whole, and each caller's first turn
# alone) with their fraud types mapped to fraudwall's. The data itself is never committed.
TELEANTIFRAUD ?= $(firstword $(wildcard ../shared/data/teleantifraud ../../shared/data/teleantifraud) ../shared/data/teleantifraud)
text-model: $(STAMP)
	test -d out/train-world || $(BIN)/fraudwall simulate --people 20000 --days 30 --seed 11 --fraud-rate 200 --out out/train-world
	mkdir -p out/text
	$(BIN)/fraudwall text export out/train-world --out out/text/world-texts.csv
	if test -d $(TELEANTIFRAUD); then \
	  $(BIN)/fraudwall import teleantifraud $(TELEANTIFRAUD) --taxonomy fraudwall --openers --out out/text/teleantifraud.csv && \
	  $(BIN)/fraudwall text train --data out/text/world-texts.csv --data out/text/teleantifraud.csv \
	    --about "SMS and victims' narratives of a simulated world (seed 11); TeleAntiFraud dialogues and their callers' first turns (Apache-2.0), fraud types mapped to fraudwall's" \
	    --out src/fraudwall/intel/text/default_model.npz; \
	else \
	  echo "$(TELEANTIFRAUD) is absent: the text model learns from the simulated world only"; \
	  $(BIN)/fraudwall text train --data out/text/world-texts.csv \
	    --about "SMS and victims' narratives of a simulated world (seed 11)" \
	    --out src/fraudwall/intel/text/default_model.npz; \
	fi
	$(BIN)/python -c "from fraudwall.intel.text import default_model as m; print('text model trained on:', m().info['trained_on'], m().info['classes'])"

# docs/features.md: every feature, from the feature registry (a test keeps it current).
docs: $(STAMP)
	$(BIN)/python -m fraudwall.engine.featureset --out docs/features.md

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out
