# Two commands do everything on a fresh machine:
#   make demo   installs the stack (once), then runs the main job on a small built-in default
#   make test   installs the stack (once), then runs the whole test suite, slow tests included
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.epcl-installed
export OMP_NUM_THREADS ?= 2

.PHONY: install demo lint test test-quick bench gpu-check clean

# install_stack.sh writes $(STAMP) itself, last, after its import check passed
$(STAMP): tools/install_stack.sh requirements/stack.txt requirements/tests.txt pyproject.toml
	EPCL_VENV=$(VENV) PYTHON=$(PYTHON) bash tools/install_stack.sh

install: $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py

# house rules (pycodestyle, pyflakes, isort order; pyproject.toml [tool.ruff])
lint: $(STAMP)
	$(PY) -m ruff check epcl_mmdet3d tools tests benchmarks configs setup.py

test: lint
	$(PY) -m pytest -ra tests

# fast iteration: everything but the slow tests
test-quick: $(STAMP)
	$(PY) -m pytest -ra -m "not slow" tests

bench: $(STAMP)
	$(PY) benchmarks/bench_backbone.py
	$(PY) benchmarks/bench_sampling.py
	$(PY) benchmarks/bench_train_step.py --json work_dirs/bench_train_step.json

# on a GPU machine: cuda tests, CUDA vs CPU ops, full-size steps (fp32 / AMP), benchmark
# at scale 1.0 (sized for under 10 minutes on one H100). Without CUDA: a dry run
gpu-check: $(STAMP)
	$(PY) tools/gpu_check.py --json work_dirs/gpu_check.json

clean:
	rm -rf work_dirs .pytest_cache
