# Redline: set up, check and run.
#
#   make run    system packages for Qt + venv, then the app (on demo data when empty)
#   make test   system packages for the suite + venv, then lint and the whole test suite
#               (the date-sensitive tests again under moved clocks and time zones)
#   make lint   ruff check, ruff format --check, mypy
#   make package   the one-folder bundle dist/redline/ (PyInstaller), smoke-tested
#   make venv   only the virtualenv (.venv), re-installed when pyproject.toml changes
#   make deps-report   which system packages `run` and `test` need and which are missing
#
# System packages are installed with apt-get only when running as root and only when
# something is missing; otherwise the exact apt-get command is printed and make stops.
# Dry run (prints the command and apt-get's simulation, installs nothing, any user):
#   make DRY_RUN=1 system-test-deps
# What a fresh machine would get (pretend nothing is installed):
#   make DRY_RUN=1 DPKG_QUERY=false system-test-deps

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

VENV := .venv
VENV_PY := $(VENV)/bin/python
# Written after a successful `pip install -e`; older than pyproject.toml means re-install.
VENV_STAMP := $(VENV)/.redline-installed

# The first of python3.11, python3 that is >= 3.11 (empty when there is none);
# `make PYTHON=/path/to/python3.12 venv` picks another.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.11 python3; do \
	  if command -v $$p >/dev/null 2>&1 && \
	     $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	    command -v $$p; break; fi; done)
endif

# Debian's venv/ensurepip for that interpreter, e.g. python3.11-venv.
PY_VENV_PKG = $(shell "$(PYTHON)" -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])')

APT_GET ?= apt-get
DPKG_QUERY ?= dpkg-query
# Wait for another apt/dpkg (a colleague's `make test`) instead of failing on the lock.
APT_OPTS := -o DPkg::Lock::Timeout=300

# What PySide6's QtCore/QtGui/QtWidgets and its platform plugins (xcb, wayland,
# offscreen) load on Debian 12: from `ldd` on .venv/.../PySide6/Qt/lib/*.so and
# Qt/plugins/{platforms,xcbglintegrations}/*.so, resolved with `dpkg -S` (libc and
# other essential packages left out).
QT_PKGS := libgl1 libegl1 libglib2.0-0 libdbus-1-3 libfontconfig1 libfreetype6 \
	libxkbcommon0 libx11-6 libdrm2 libwayland-client0 libwayland-cursor0 libwayland-egl1 \
	fonts-dejavu-core
# The xcb platform plugin (Qt >= 6.5 refuses to start without libxcb-cursor0).
XCB_PKGS := libxcb1 libx11-xcb1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 \
	libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 \
	libxcb-render0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xkb1 libxcb-util1 \
	libxcb-glx0
RUN_PKGS := $(QT_PKGS) $(XCB_PKGS)
# The suite: a throwaway PostgreSQL cluster (initdb/pg_ctl from /usr/lib/postgresql),
# a private D-Bus session (dbus-run-session) with gnome-keyring as the Secret Service,
# and Xvfb for anything that wants a real X server.
# faketime and tzdata: the date-sensitive tests run again with the clock moved and in far
# time zones (`make test-dates`).
TEST_PKGS := $(RUN_PKGS) postgresql dbus dbus-daemon dbus-user-session gnome-keyring \
	xvfb xauth faketime tzdata

# $(call ensure_packages,PURPOSE,PACKAGES): install what is missing, or say how to.
define ensure_packages
	if ! command -v $(firstword $(DPKG_QUERY)) >/dev/null 2>&1; then \
	  echo "note: not a Debian system; make sure the equivalents of these are installed:"; \
	  echo "  $(strip $(2))"; exit 0; fi; \
	missing=(); \
	for p in $(2); do \
	  [[ "$$($(DPKG_QUERY) -W -f='$${db:Status-Status}' "$$p" 2>/dev/null)" == installed ]] \
	    || missing+=("$$p"); \
	done; \
	if (( $${#missing[@]} == 0 )); then exit 0; fi; \
	cmd="DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $${missing[*]}"; \
	if [[ -n "$(DRY_RUN)" ]]; then \
	  echo "Dry run: would install for $(1): $${missing[*]}"; \
	  echo "  apt-get update && $$cmd"; \
	  echo "apt-get's simulation of it (against the current package lists):"; \
	  $(APT_GET) -s install --no-install-recommends "$${missing[@]}"; \
	  exit 0; fi; \
	if [[ "$$(id -u)" != 0 ]]; then \
	  echo "Missing system packages for $(1): $${missing[*]}"; \
	  echo "Install them as root, then run make again:"; \
	  echo "  sudo apt-get update && sudo $$cmd"; \
	  exit 1; fi; \
	echo "Installing system packages for $(1): $${missing[*]}"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$(APT_GET) $(APT_OPTS) update; \
	$(APT_GET) $(APT_OPTS) install -y --no-install-recommends "$${missing[@]}"
endef

.PHONY: help
help:
	@sed -n '3,10p' Makefile | sed 's/^# \{0,1\}//'

.PHONY: system-run-deps system-test-deps system-python-deps
system-run-deps:
	@$(call ensure_packages,running the app,$(RUN_PKGS))

system-test-deps:
	@$(call ensure_packages,the test suite,$(TEST_PKGS))

# Debian ships venv's pip (ensurepip) separately, in python3.X-venv.
system-python-deps:
	@if [[ -z "$(PYTHON)" ]]; then \
	  echo "Redline needs Python >= 3.11: neither python3.11 nor python3 is new enough."; \
	  echo "On Debian 12: apt-get install python3 python3-venv"; exit 1; fi
	@if ! "$(PYTHON)" -c 'import ensurepip, venv' 2>/dev/null; then \
	  $(call ensure_packages,creating the virtualenv,$(PY_VENV_PKG)); fi

.PHONY: venv
venv: $(VENV_STAMP)

$(VENV_PY):
	@$(MAKE) system-python-deps
	"$(PYTHON)" -m venv $(VENV)

$(VENV_STAMP): pyproject.toml | $(VENV_PY)
	@"$(VENV_PY)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "$(VENV) was made with $$("$(VENV_PY)" --version); remove it (rm -rf $(VENV))" \
	       "and run make again."; exit 1; }
	"$(VENV_PY)" -m pip install --disable-pip-version-check -e '.[test,dev]'
	touch $@

.PHONY: lint
# All three run even when one fails, so one pass shows every problem.
lint: venv
	@rc=0; \
	for cmd in "ruff check" "ruff format --check" "mypy"; do \
	  echo "+ $(VENV)/bin/$$cmd"; $(VENV)/bin/$$cmd || { rc=1; echo "FAILED: $$cmd"; }; \
	done; exit $$rc

# The bundle: PyInstaller (the `package` extra) in the venv, then the smoke test
# (`--version`, an offscreen start on a fresh store with the demo; see packaging/).
PACKAGE_STAMP := $(VENV)/.redline-package-tools
PACKAGE_DIST ?= dist
PACKAGE_WORK ?= build/pyinstaller
$(PACKAGE_STAMP): pyproject.toml $(VENV_STAMP)
	"$(VENV_PY)" -m pip install --disable-pip-version-check -e '.[test,dev,package]'
	touch $@

.PHONY: package
package: $(PACKAGE_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath "$(PACKAGE_DIST)" \
	  --workpath "$(PACKAGE_WORK)" packaging/redline.spec
	packaging/smoke_test.sh "$(PACKAGE_DIST)/redline/redline"

.PHONY: test
# The tests run even when lint fails (and the other way round); either failing fails.
# Then the bundle is built in a temporary directory and smoke-tested (CI checks the
# installer too); SKIP_BUNDLE=1 leaves it out of a local run.
# dbus-run-session gives a private session bus: the Secret Service tests start
# gnome-keyring on it, and it goes away with the run (never the desktop's own keyring).
test: system-test-deps venv
	@lint=0; tests=0; \
	$(MAKE) lint || lint=$$?; \
	echo "+ QT_QPA_PLATFORM=offscreen dbus-run-session -- $(VENV_PY) -m pytest $(PYTEST_ARGS)"; \
	QT_QPA_PLATFORM=offscreen dbus-run-session -- "$(VENV_PY)" -m pytest $(PYTEST_ARGS) \
	  || tests=$$?; \
	dates=0; $(MAKE) test-dates || dates=$$?; \
	bundle=0; bundle_text="built and smoke-tested"; \
	if [[ -n "$(SKIP_BUNDLE)" ]]; then bundle_text="skipped (SKIP_BUNDLE)"; else \
	  tmp=$$(mktemp -d); \
	  $(MAKE) package PACKAGE_DIST="$$tmp/dist" PACKAGE_WORK="$$tmp/work" || bundle=$$?; \
	  rm -rf "$$tmp"; \
	  ((bundle)) && bundle_text=FAILED; fi; \
	echo "make test: lint $$( ((lint)) && echo FAILED || echo passed)," \
	     "tests $$( ((tests)) && echo "FAILED (pytest exit $$tests)" || echo passed)," \
	     "moved clocks and time zones $$( ((dates)) && echo FAILED || echo passed)," \
	     "bundle $$bundle_text"; \
	(( lint == 0 && tests == 0 && dates == 0 && bundle == 0 ))

# The tests that read or plant dates (marker `dates`, see tests/conftest.py) again, twice:
# 550 days ahead at UTC+14, and at UTC-10 from 10 s before a leap day ends in UTC (13:59:50
# local: UTC is already in March while the local date is still February 29). Each run
# reports on its own; both run even when one fails. faketime moves the monotonic
# clock too (by the same offset, so durations stay true): with it left real, libfaketime's
# clock_nanosleep fails Python's sleeps and subprocess waits with EINVAL.
DATE_RUNS := "env TZ=Pacific/Kiritimati faketime -f +550d" \
	"env TZ=America/Adak faketime -f '@2028-02-29 13:59:50'"
.PHONY: test-dates
test-dates: system-test-deps venv
	@rc=0; \
	for run in $(DATE_RUNS); do \
	  echo "+ $$run: pytest -m dates"; \
	  eval "set -- $$run"; \
	  QT_QPA_PLATFORM=offscreen "$$@" \
	    dbus-run-session -- "$(VENV_PY)" -m pytest -m dates -q -p no:cacheprovider \
	    --durations=5 -o addopts="--strict-markers --strict-config -ra --import-mode=importlib" \
	    || { rc=1; echo "FAILED under: $$run"; }; \
	done; exit $$rc

.PHONY: run
run: system-run-deps venv
	@if [[ -z "$${DISPLAY:-}" && -z "$${WAYLAND_DISPLAY:-}" ]]; then \
	  echo "There is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the"; \
	  echo "window cannot open. The command line works without one:"; \
	  echo "  $(VENV)/bin/redline demo          # load the demo data"; \
	  echo "  $(VENV)/bin/redline stats         # what is in the local store"; \
	  echo "  $(VENV)/bin/redline import FILE   # import production outputs"; \
	  exit 1; fi
	$(VENV)/bin/redline gui --demo-if-empty

.PHONY: deps-report
deps-report:
	@for set in run test; do \
	  if [[ $$set == run ]]; then pkgs="$(RUN_PKGS)"; else pkgs="$(TEST_PKGS)"; fi; \
	  missing=(); \
	  for p in $$pkgs; do \
	    [[ "$$($(DPKG_QUERY) -W -f='$${db:Status-Status}' "$$p" 2>/dev/null)" == installed ]] \
	      || missing+=("$$p"); \
	  done; \
	  echo "$$set needs: $$pkgs"; \
	  echo "$$set missing: $${missing[*]:-(nothing)}"; \
	done

.PHONY: screenshots
# docs/screenshot-*.png from a fresh demo store, under Xvfb (offscreen without it).
# SCREENSHOTS_ARGS='--only settings,welcome' writes only those.
screenshots: venv
	"$(VENV_PY)" packaging/screenshots.py $(SCREENSHOTS_ARGS)
