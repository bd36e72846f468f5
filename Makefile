# The targets people type. `make test` is what CI runs (through .ci/run).
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
COLLECTIONS := .tmp/collections
LINK := $(COLLECTIONS)/ansible_collections/lockaware/hcloud
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv lint format sim-test packaging sanity units integration reliability reliability-fast test test-matrix test-matrix-ci demo sim bench bench-steady bench-sliced bench-projects packaging-tools clean

help:
	@echo "make demo         run the sample playbook against a local simulator of the Hetzner Cloud API"
	@echo "make test         the whole suite: lint, simulator tests, ansible-test sanity, units, integration"
	@echo "make lint|format  ruff, mypy and ansible-lint checks | ruff fixes"
	@echo "make reliability  the fault-injection suite, 30 scenarios x 3 runs + property test (about 20 min): docs/reliability.md"
	@echo "make bench        the fleet benchmark, the 200-server steady state and the sliced scenario (1000 servers; about 65 min): docs/benchmarks.md"
	@echo "make bench-steady the steady state alone, 200 and 1000 servers (about 30 min): docs/benchmarks-steady.md"
	@echo "make bench-sliced the sliced scenario alone: 1000 servers in 4 AWX slices, one job, the peer (about 30 min): docs/benchmarks-sliced.md"
	@echo "make bench-projects 5 projects x 200 servers in one run against each alone (about 20 min): docs/benchmarks-projects.md"
	@echo "make sim          run the simulator on http://127.0.0.1:8765/v1 with the demo fleet (Ctrl-C stops it)"
	@echo "make sim-test | packaging | sanity | units | integration | reliability-fast   one part of the suite"
	@echo "make test-matrix  sanity, units and integration on ansible-core 2.17 to 2.21 (make test-matrix-ci: CI's part of it)"

$(STAMP): requirements.txt requirements-dev.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(STAMP) $(LINK)

$(LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

MYPY_PACKAGES := $(foreach dir,module_utils lookup plugin_utils filter,-p ansible_collections.lockaware.hcloud.plugins.$(dir)) -p hcloud_sim

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(MYPY_PACKAGES)
	$(VENV)/bin/ansible-lint --nocolor playbooks roles
	$(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

sim-test: venv
	$(VPY) -m pytest tests/sim tests/bench -q -p no:cacheprovider

packaging: venv
	$(VPY) -m pytest tests/packaging -q -p no:cacheprovider

sanity: venv
	$(VPY) tests/utils/run_ansible_test.py sanity

units: venv
	$(VPY) tests/utils/run_ansible_test.py units

integration: venv
	$(VPY) tests/utils/run_ansible_test.py integration

# The fault-injection suite (tests/reliability/run.py): the table goes to docs/reliability.md.
reliability: venv packaging-tools
	$(VPY) tests/reliability/run.py

# Its fast subset (ten scenarios, once each; 24 and 27 try a seeded part of their cases), part of `make test`.
reliability-fast: venv
	$(VPY) tests/reliability/run.py --fast

# Sanity (CPU-bound) runs beside integration (mostly waiting on the simulator's durations), each with its output
# kept together; the timing-sensitive reliability subset runs alone, last. `make test WITH_MATRIX=1` (what CI runs)
# also runs CI's part of the version matrix (test-matrix-ci) in that middle stretch.
SIDE_BY_SIDE := sanity integration $(if $(WITH_MATRIX),test-matrix-ci)
test: lint sim-test packaging units
	$(MAKE) --no-print-directory --output-sync=target -j$(words $(SIDE_BY_SIDE)) $(SIDE_BY_SIDE)
	$(MAKE) --no-print-directory reliability-fast
	@echo "make test: all parts passed"

# ansible-test on every supported ansible-core / Python / hcloud combination (tests/utils/matrix.py).
test-matrix: venv
	$(VPY) tests/utils/matrix.py

# What CI runs besides `make test`: units and the version-sensitive integration targets on the oldest and the newest
# combination, sanity on the newest.
test-matrix-ci: venv
	$(VPY) tests/utils/matrix.py --ci

DEMO_RUN := ansible-playbook playbooks/snapshot_fleet.yml -e @playbooks/vars/demo.yml
demo: venv
	ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
	$(VPY) -m hcloud_sim.wrap --state demo -- sh -c \
	  'ansible-playbook playbooks/demo/colleague_snapshot.yml && \
	   echo "== first run: snapshot every server labelled backup=daily ==" && $(DEMO_RUN) && \
	   echo "== second run: everything is in place, nothing changes ==" && $(DEMO_RUN)'

sim: venv
	$(VPY) -m hcloud_sim --state demo

# Fleet benchmark against the sequential script and the ideal, then the steady state of keep 7 at 200 servers, then the
# sliced scenario at 1000 servers (about 65 minutes): docs/benchmarks.md, docs/benchmark-50.png.
bench: venv packaging-tools
	$(VPY) bench/run.py

# The steady state alone: 200 servers (every strategy, progress linear and stuck) and snapshot_fleet.yml on 1000
# servers (about 30 minutes): docs/benchmarks-steady.md.
bench-steady: venv
	$(VPY) bench/run.py --no-fleet --steady-large 1000 --sliced-size 0

# The sliced scenario alone: SLICED_SIZE servers in steady state, snapshot_hosts.yml in 4 slices as AWX runs them
# (ansible-runner from .tmp/packaging-tools, which `make packaging` builds), one job, the peer (about 30 minutes at 1000;
# a job may take 30 minutes before it is stopped): docs/benchmarks-sliced.md.
SLICED_SIZE ?= 1000
bench-sliced: venv packaging-tools
	$(VPY) bench/run.py --no-fleet --steady-sizes '' --sliced-size $(SLICED_SIZE) --run-timeout 1800

# Several projects: 5 projects x 200 servers at steady state, one simulator each, in one snapshot_fleet.yml run
# against each project alone (about 20 minutes): docs/benchmarks-projects.md.
bench-projects: venv
	$(VPY) bench/projects.py --report docs/benchmarks-projects.md

# The tools virtualenv (ansible-runner, ansible-navigator, galaxy-importer) that the packaging tests, the sliced
# reliability scenario (30) and the sliced benchmark run jobs with: built once, again when its requirements change.
packaging-tools: venv
	$(VPY) -c "import sys; sys.path.insert(0, 'tests/packaging'); from tools_venv import tools_bin; print(tools_bin())"

clean:
	rm -rf .tmp tests/output .pytest_cache .ruff_cache
