#!/usr/bin/env bash
# Smoke-test a built bundle: `--version`, then an offscreen start on a fresh store that
# creates the demo, shows the window, waits for the queue and quits (exit 0).
#   packaging/smoke_test.sh dist/redline/redline
set -euo pipefail
binary=${1:?usage: smoke_test.sh PATH/TO/redline}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config \
  XDG_STATE_HOME=$work/state XDG_CACHE_HOME=$work/cache QT_QPA_PLATFORM=offscreen
# A reviewer name, so the first-run identity question does not wait for a person.
mkdir -p "$XDG_CONFIG_HOME/redline"
printf '{"schema_version": 1, "reviewer": "smoke-test", "extra": {}}\n' \
  > "$XDG_CONFIG_HOME/redline/settings.json"

version=$("$binary" --version)
echo "smoke: $version"
[[ $version == redline\ * ]] || { echo "smoke: unexpected --version output"; exit 1; }

REDLINE_SMOKE_TEST=1 timeout 300 "$binary" gui --demo-if-empty --store "$work/store.sqlite"
samples=$("$binary" --store "$work/store.sqlite" stats --json \
  | "$(dirname "$0")/../.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["samples"])')
echo "smoke: the bundle started offscreen, made the demo ($samples samples) and showed the window"
(( samples > 0 ))
