#!/usr/bin/env bash
# The system (apt) packages the tests need, for `make test` and .ci/run alike: installed when
# missing and we are root, else named exactly with the command that installs them (exit 1).
set -euo pipefail

# command:package — the package is needed when its command is missing.
needs=(
  debootstrap:debootstrap      # the offline sandbox image build (no registry needed)
  bwrap:bubblewrap             # the local sandbox backend's isolation
  make:make
  chromium:chromium            # the trajectory viewer's browser tests
  chromedriver:chromium-driver # drives chromium from Selenium
)
missing=()
for pair in "${needs[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$EUID" -ne 0 ]; then
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}   (then re-run)" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
