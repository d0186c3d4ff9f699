#!/usr/bin/env bash
# Installs everything Berth's tools and tests need on a fresh Debian machine:
# the npm packages (from package-lock.json) and the host-side binaries the integration
# tests run for real. Idempotent: skips apt when every binary is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# docker.io (dockerd + client), openssh-server/-client, sudo, iptables, iproute2 and python3 run the
# deploy program and the rehearsal for real; pyflakes3 and systemd-analyze check what goes to the host.
APT_PACKAGES=(nginx docker-registry skopeo apache2-utils openssl curl wrk shellcheck cloud-init jq git
  docker.io openssh-server openssh-client sudo iptables iproute2 python3 python3-pyflakes systemd util-linux)
NEEDED_BINARIES=(nginx docker-registry skopeo htpasswd openssl curl wrk shellcheck cloud-init jq git
  dockerd docker sshd ssh ssh-keygen sudo visudo iptables iptables-restore ip ss python3 pyflakes3 systemd-analyze flock useradd)

# nginx lives in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
# The deploy program runs under the system python3 (#!/usr/bin/python3), whatever else is on PATH.
[ -x /usr/bin/python3 ] || missing+=(/usr/bin/python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing Debian packages (missing: ${missing[*]})"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
