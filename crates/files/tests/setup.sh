#!/usr/bin/env bash
# Installs what ferrochat-files' integration tests need, when missing:
#   * moto_server (a local S3 server, PyPI `moto[server]`) in a venv,
#     default $HOME/.cache/ferrochat-moto (FERROCHAT_MOTO_VENV overrides);
#   * clamd (Debian `clamav-daemon`). The tests start it themselves with a signature file they
#     write, so no virus database is downloaded, and freshclam is never run.
# Idempotent and quick when everything is there. scripts/test runs the same steps; the tests
# run this script themselves when they do not find moto or clamd, so `cargo test -p
# ferrochat-files` works on a fresh machine too.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
MOTO_VERSION=5.2.5
venv="${FERROCHAT_MOTO_VENV:-$HOME/.cache/ferrochat-moto}"

log() { printf '==> files/tests/setup.sh: %s\n' "$*" >&2; }
die() { printf 'files/tests/setup.sh: FAILED: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" = 0 ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/sbin/clamd ]; then
    apt_install clamav-daemon
fi
[ -x /usr/sbin/clamd ] || die "clamd is missing after installing clamav-daemon"

py="$venv/bin/python"
if ! { [ -x "$py" ] && "$py" -c 'import moto.server, flask' >/dev/null 2>&1; }; then
    if ! python3 -m venv --help >/dev/null 2>&1; then
        apt_install python3 python3-venv
    fi
    if [ ! -x "$py" ] || ! "$py" -m pip --version >/dev/null 2>&1; then
        log "creating venv $venv"
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        python3 -m venv "$venv" >/dev/null 2>&1 || { rm -rf "$venv"; apt_install python3-venv; python3 -m venv "$venv"; }
    fi
    log "pip install moto[server]==$MOTO_VERSION"
    "$py" -m pip install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    "$py" -c 'import moto.server, flask' || die "moto is not importable from $py"
fi
