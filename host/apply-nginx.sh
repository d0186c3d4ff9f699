#!/usr/bin/env bash
# Berth's nginx delivery step, run on the host (and by the local rehearsal and its tests).
#
# Installs staged files, runs `nginx -t`, and reloads nginx only when the test passes. When the test
# (or the reload) fails, every file is put back exactly as it was and nginx's own message is printed,
# so a bad configuration never becomes live and the caller (pulumi up) fails with the reason.
#
# Usage: apply-nginx.sh STAGE_DIR [NGINX_OPTION...]
#   STAGE_DIR/manifest     one line per file, tab-separated: MODE GROUP FLAGS PATH
#                          MODE octal (0644), GROUP a group name or "-" (root), FLAGS "create-only" or "-",
#                          PATH the absolute target path. create-only files are written only when absent
#                          (the blue/green live-upstream files, which the deploy command owns afterwards).
#   STAGE_DIR/files/PATH   the new content of PATH.
#   STAGE_DIR/owned-dirs   optional; absolute directories whose files not in the manifest are removed
#                          (a server block of an app that left the config must not linger).
#   NGINX_OPTION           passed to every nginx call, e.g. -p DIR -c DIR/etc/nginx/nginx.conf -e LOG.
# Environment: BERTH_NGINX (default: nginx), BERTH_NGINX_PID (default: /run/nginx.pid) to tell
#   whether nginx runs (reload) or not (start).
# Exit status: 0 applied, 1 rejected by nginx (nothing changed), 2 usage or staging error.
set -Eeuo pipefail

die() { echo "apply-nginx: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: apply-nginx.sh STAGE_DIR [NGINX_OPTION...]"
stage=$1; shift
nginx_opts=("$@")
nginx_bin=${BERTH_NGINX:-nginx}
pid_file=${BERTH_NGINX_PID:-/run/nginx.pid}
[ -f "$stage/manifest" ] || die "no manifest in $stage"
command -v "$nginx_bin" >/dev/null 2>&1 || die "nginx not found ($nginx_bin); install the Debian package nginx"

backup=$(mktemp -d "${TMPDIR:-/tmp}/berth-nginx-backup.XXXXXX")
created=()   # targets that did not exist before: removed on rollback
saved=()     # targets copied to $backup first: copied back on rollback
declare -A listed=()

save() { # save TARGET: remember TARGET's current content once
  local target=$1
  [ -z "${listed[$target]+x}" ] || return 0
  listed[$target]=1
  if [ -e "$target" ]; then
    mkdir -p "$backup$(dirname "$target")"
    cp -p "$target" "$backup$target"
    saved+=("$target")
  else
    created+=("$target")
  fi
}

rollback() {
  trap - ERR
  local t
  for t in "${created[@]+"${created[@]}"}"; do rm -f "$t"; done
  for t in "${saved[@]+"${saved[@]}"}"; do cp -p "$backup$t" "$t"; done
}

finish() { rm -rf "$backup"; }
trap finish EXIT
# Any unexpected failure while installing (disk full, unknown group) also puts everything back.
trap 'rollback; echo "apply-nginx: failed at line $LINENO; the previous files are back in place" >&2' ERR

declare -A wanted=()
while IFS=$'\t' read -r mode group flags target; do
  [ -n "${target:-}" ] || continue
  case $target in /*) ;; *) rollback; die "manifest path must be absolute: $target" ;; esac
  wanted[$target]=1
  src="$stage/files$target"
  [ -f "$src" ] || { rollback; die "staged file missing: $src"; }
  if [ "$flags" = "create-only" ] && [ -e "$target" ]; then continue; fi
  save "$target"
  mkdir -p "$(dirname "$target")"
  # Write beside the target, then rename: nginx never reads a half-written file.
  tmp="$target.berth-new"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  if [ "$group" != "-" ]; then chgrp "$group" "$tmp"; fi
  mv -f "$tmp" "$target"
done < "$stage/manifest"

if [ -f "$stage/owned-dirs" ]; then
  while IFS= read -r dir; do
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then continue; fi
    while IFS= read -r -d '' existing; do
      if [ -z "${wanted[$existing]+x}" ]; then save "$existing"; rm -f "$existing"; fi
    done < <(find "$dir" -maxdepth 1 -type f -print0)
  done < "$stage/owned-dirs"
fi

if ! out=$("$nginx_bin" "${nginx_opts[@]+"${nginx_opts[@]}"}" -t 2>&1); then
  rollback
  printf 'apply-nginx: nginx -t rejected the new configuration; the previous files are back in place and still serving.\n%s\n' "$out" >&2
  exit 1
fi

if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  if ! out=$("$nginx_bin" "${nginx_opts[@]+"${nginx_opts[@]}"}" -s reload 2>&1); then
    rollback
    printf 'apply-nginx: nginx -s reload failed; the previous files are back in place.\n%s\n' "$out" >&2
    exit 1
  fi
  echo "apply-nginx: configuration test passed; nginx reloaded"
else
  if ! out=$("$nginx_bin" "${nginx_opts[@]+"${nginx_opts[@]}"}" 2>&1); then
    rollback
    printf 'apply-nginx: nginx did not start; the previous files are back in place.\n%s\n' "$out" >&2
    exit 1
  fi
  echo "apply-nginx: configuration test passed; nginx started"
fi
