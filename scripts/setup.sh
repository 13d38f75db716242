#!/usr/bin/env bash
# Idempotent set-up shared by ./scripts/run and ./scripts/test: system packages (Qt runtime libs,
# poppler for PDF checks, Xvfb), then a venv in .venv with the app and its dev tools.
# Re-runs are cheap: a stamp records the pyproject.toml hash that was installed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(libgl1 libegl1 libglib2.0-0 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-image0
  libxcb-render-util0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libx11-xcb1
  poppler-utils poppler-data xvfb xauth fontconfig-config)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The office server's tests need PostgreSQL (issue 15): where none answers, install Debian's and start it
# (no systemd in containers: pg_ctlcluster), with a superuser for the account that runs the tests.
if ! command -v pg_isready >/dev/null || ! pg_isready -q; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "setup: installing PostgreSQL" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  # shellcheck disable=SC2086
  $SUDO pg_ctlcluster $cluster start || true
  for _ in $(seq 30); do pg_isready -q && break; sleep 1; done
  $SUDO su postgres -c "createuser -s $(id -un)" 2>/dev/null || true
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=".venv/.stamp-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q -U pip
  .venv/bin/python -m pip install -q -e '.[gui]' --group dev
  rm -f .venv/.stamp-*; touch "$stamp"
fi
# Bytecode for the app's own modules (an editable install has none; PYTHONDONTWRITEBYTECODE may forbid
# writing it on import): every start would compile them again. Up-to-date files are skipped.
.venv/bin/python -m compileall -q ltc_assess
