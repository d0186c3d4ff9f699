#!/usr/bin/env bash
# Installs everything Berth's tools and tests need on a fresh Debian machine:
# the npm packages (from package-lock.json) and the host-side binaries the integration
# tests run for real. Idempotent: calls apt only when a package of APT_PACKAGES is not installed
# or a binary of NEEDED_BINARIES is not on PATH, and says which.
# `bash scripts/install-deps.sh --lists` prints the two lists and exits (scripts/check-deps.sh reads them).
set -euo pipefail
cd "$(dirname "$0")/.."

# docker.io (dockerd + client), openssh-server/-client, sudo, iptables, iproute2 and python3 run the
# deploy program and the rehearsal for real; pyflakes3 (the command; python3-pyflakes is only the module)
# and systemd-analyze check what goes to the host; mariadb-server is the rehearsal's stand-in for RDS;
# e2fsprogs, util-linux, mount and diffutils run the data volume step on a loop device (format, mount, grow).
# Every binary below must come from one of these packages or a package they depend on
# (scripts/check-deps.sh, run by the test command, checks it with dpkg).
APT_PACKAGES=(nginx docker-registry skopeo apache2-utils openssl curl wrk shellcheck cloud-init jq git
  docker.io openssh-server openssh-client sudo iptables conntrack iproute2 python3 pyflakes3 systemd util-linux mount procps passwd
  mariadb-server mariadb-client e2fsprogs diffutils)
NEEDED_BINARIES=(nginx docker-registry skopeo htpasswd openssl curl wrk shellcheck cloud-init jq git
  dockerd docker sshd ssh ssh-keygen sudo visudo iptables iptables-restore ip ss python3 pyflakes3 systemd-analyze
  flock nsenter sysctl ps mount umount conntrack useradd mariadbd mariadb mariadb-install-db
  losetup mkfs.ext4 resize2fs dumpe2fs blkid blockdev findmnt mountpoint cmp)

if [ "${1:-}" = "--lists" ]; then
  echo "APT_PACKAGES ${APT_PACKAGES[*]}"
  echo "NEEDED_BINARIES ${NEEDED_BINARIES[*]}"
  exit 0
fi

# nginx lives in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
missing_pkgs=()
for p in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing_pkgs+=("$p")
done
missing_bins=()
for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || missing_bins+=("$b"); done
# The deploy program runs under the system python3 (#!/usr/bin/python3), whatever else is on PATH.
[ -x /usr/bin/python3 ] || missing_bins+=(/usr/bin/python3)
if [ ${#missing_pkgs[@]} -gt 0 ] || [ ${#missing_bins[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${APT_PACKAGES[*]}"
  echo "install-deps:   not installed: ${missing_pkgs[*]:-(none)}; not on PATH: ${missing_bins[*]:-(none)}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
  still=()
  for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || still+=("$b"); done
  if [ ${#still[@]} -gt 0 ]; then
    echo "install-deps: after the install these are still not on PATH: ${still[*]}; fix APT_PACKAGES in scripts/install-deps.sh" >&2
    exit 1
  fi
else
  echo "install-deps: every Debian package and binary is present; apt not called"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
