#!/usr/bin/env bash
# Checks that every binary the tests need comes from a Debian package that scripts/install-deps.sh
# installs (a package of APT_PACKAGES or one they depend on, recursively), so a tool installed by hand,
# or from a package nobody listed, fails here on the developer's own machine and not only on a fresh one.
#   bash scripts/check-deps.sh            checks NEEDED_BINARIES against APT_PACKAGES
#   bash scripts/check-deps.sh NAME...    checks these binaries instead
# CHECK_APT_PACKAGES="a b" replaces APT_PACKAGES (for the script's own tests).
# For each name every hit on PATH is looked at (`type -ap`); it passes when one of them is owned
# (dpkg -S of the path, of its /usr-merged twin, or of the path a symlink such as an update-alternatives
# link resolves to) by an allowed package. A first hit that no package owns (on some machine images
# /usr/local/bin/docker) is reported as a note, since it shadows the packaged one.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

read -r -a lists_pkgs <<<"$(bash scripts/install-deps.sh --lists | sed -n 's/^APT_PACKAGES //p')"
read -r -a lists_bins <<<"$(bash scripts/install-deps.sh --lists | sed -n 's/^NEEDED_BINARIES //p')"
if [ -n "${CHECK_APT_PACKAGES:-}" ]; then read -r -a lists_pkgs <<<"$CHECK_APT_PACKAGES"; fi
if [ $# -gt 0 ]; then bins=("$@"); else bins=("${lists_bins[@]}"); fi

# The allowed set: APT_PACKAGES and, recursively, what they depend on (Depends and Pre-Depends, every
# alternative that is installed, virtual names through Provides), read from dpkg's own database.
allowed=$(dpkg-query -W -f='${Package}\t${db:Status-Status}\t${Pre-Depends}, ${Depends}\t${Provides}\n' 2>/dev/null |
  awk -F'\t' -v roots="${lists_pkgs[*]}" '
    function clean(s) { gsub(/\([^)]*\)/, "", s); gsub(/:[a-z0-9]+/, "", s); gsub(/[ \t]/, "", s); return s }
    $2 == "installed" {
      inst[$1] = 1; deps[$1] = $3
      n = split($4, pv, ","); for (i = 1; i <= n; i++) { v = clean(pv[i]); if (v != "") prov[v] = prov[v] " " $1 }
    }
    END {
      n = split(roots, q, " "); head = 1; tail = n
      for (i = 1; i <= n; i++) seen[q[i]] = 1
      while (head <= tail) {
        p = q[head++]
        m = split(deps[p], d, /[,|]/)
        for (j = 1; j <= m; j++) {
          name = clean(d[j]); if (name == "") continue
          cands = (name in inst) ? name : prov[name]
          k = split(cands, c, " ")
          for (l = 1; l <= k; l++) if (c[l] != "" && !(c[l] in seen)) { seen[c[l]] = 1; q[++tail] = c[l] }
        }
      }
      for (p in seen) print p
    }')

owner() { # prints the package that owns path $1 (trying its /usr-merged twin), or nothing
  local p=$1 out
  for cand in "$p" "${p#/usr}" "/usr$p"; do
    out=$(dpkg -S "$cand" 2>/dev/null | head -1 | cut -d: -f1) || true
    if [ -n "$out" ]; then echo "$out"; return; fi
  done
}

failures=0
for b in "${bins[@]}"; do
  mapfile -t hits < <(type -ap "$b" 2>/dev/null | awk '!seen[$0]++')
  if [ "$b" = python3 ]; then hits+=(/usr/bin/python3); fi # the deploy program's interpreter
  if [ ${#hits[@]} -eq 0 ]; then
    echo "check-deps: $b is not on PATH; add the Debian package that provides it to APT_PACKAGES in scripts/install-deps.sh" >&2
    failures=$((failures + 1))
    continue
  fi
  ok="" seenpkgs=""
  for h in "${hits[@]}"; do
    [ -e "$h" ] || continue
    pkg=$(owner "$h")
    [ -n "$pkg" ] || pkg=$(owner "$(readlink -f "$h")")
    if [ -z "$pkg" ]; then seenpkgs+=" $h (no package)"; continue; fi
    if grep -qxF "$pkg" <<<"$allowed"; then
      ok="$h from $pkg"
      break
    fi
    seenpkgs+=" $h (package $pkg, not in APT_PACKAGES nor a dependency of them)"
  done
  if [ -z "$ok" ]; then
    echo "check-deps: $b:$seenpkgs; add its Debian package to APT_PACKAGES in scripts/install-deps.sh" >&2
    failures=$((failures + 1))
  elif [ "${hits[0]}" != "${ok%% from *}" ] && [ "$b" != python3 ]; then
    echo "check-deps: note: $b resolves first to ${hits[0]} (no listed package); $ok is also on PATH"
  fi
done
if [ "$failures" -gt 0 ]; then
  echo "check-deps: $failures of ${#bins[@]} binaries are not provided by the listed Debian packages" >&2
  exit 1
fi
echo "check-deps: all ${#bins[@]} binaries come from APT_PACKAGES or their dependencies"
