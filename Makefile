# make          install what is missing, then build every text in source/ into output/
# make test     run the test suite (installs first if needed)
# See README.md for the rest.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= output
ARGS   ?=

.DEFAULT_GOAL := all
# One target per output format, named as its writer module's FORMAT record names it
# (`python -m pipeline formats`): a new format module is a new target, nothing to edit here.
# Read from the source, not by running Python, so the targets exist before `make install`.
FORMATS := $(shell awk '/^FORMAT = Format/ {f = 1} f && match($$0, /"[^"]+"/) \
                   {print substr($$0, RSTART + 1, RLENGTH - 2); f = 0}' pipeline/writers/*.py)
.PHONY: all install $(FORMATS) check test test-fast golden golden-update lint bench bench-normalize dist serve clean distclean
PORT   ?= 8000

# The pipeline decides per edition what is stale (see pipeline/build.py); the stamp only
# lets `make` return at once when nothing in source/ or pipeline/ is newer than the last
# good build.  (find, not make prerequisites: file names may contain spaces.)
all: $(STAMP)
	@if [ ! -f $(OUT)/.built ] || [ -n "$$(find source pipeline pyproject.toml -newer $(OUT)/.built \
	      ! -name '*.pyc' ! -name __pycache__ -print -quit)" ]; then \
	  $(PY) -m pipeline build -o $(OUT) $(ARGS) && touch $(OUT)/.built; \
	else echo "make: $(OUT)/ is up to date"; fi

$(FORMATS): $(STAMP)
	$(PY) -m pipeline build -o $(OUT) --formats $@ $(ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

check: all
	$(PY) -m pipeline check $(OUT)

test: $(STAMP) lint
	$(PY) -m pytest -n 2 $(ARGS)

# Both read their settings from pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline/
	$(VENV)/bin/mypy

# The inner loop: no corpus, no long builds, no validators (so no npm, Java or Chromium).
test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not corpus and not slow and not validator" $(ARGS)

# The normalizer's golden files, tests/stages/<rule>/{in.*,expected.md}.
golden: $(STAMP)
	$(PY) -m pytest -q tests/test_normalize_golden.py $(ARGS)

golden-update: $(STAMP)
	$(PY) -m pytest -q tests/test_normalize_golden.py --update-golden $(ARGS)

# A versioned, reproducible archive of the editions, the catalog and the feed, in dist/.
dist: all
	$(PY) -m pipeline.dist --out $(OUT) --dist dist $(if $(VERSION),--version $(VERSION),)

# Preview output/ (catalog, feed, editions) on this machine only.
serve: all
	@echo "Serving $(OUT)/ at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PY) -m http.server --bind 127.0.0.1 --directory $(OUT) $(PORT)

# Speed and memory against pandoc and WeasyPrint on their own; writes BENCHMARKS.md.
bench: $(STAMP)
	$(PY) -m pipeline.bench $(ARGS)

# The normalizer against the gold structure in ../shared/normalizer-bench: every book, then
# the means over the tuning half and the held-out half (see pipeline/bench_normalize.py).
NBOUT  ?= build/bench-normalize
bench-normalize: $(STAMP)
	$(PY) -m pipeline.bench_normalize --out "$(NBOUT)" $(ARGS)

clean:
	rm -rf $(OUT) dist build .pytest_cache

distclean: clean
	rm -rf $(VENV) node_modules

include mk/tools.mk
