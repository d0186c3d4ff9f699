#!/usr/bin/env bash
# One comment per pull request and stack, one issue per finding: create it once, then update it
# in place. The body carries a hidden marker (<!-- ... -->) that finds it again. Used by the
# workflows in .github/workflows/; needs `gh` (authenticated by GH_TOKEN) and `jq`.
#
#   github-upsert.sh comment <pr-number> <marker> <body-file>
#   github-upsert.sh issue <marker> <title> <body-file>      open or update an issue
#   github-upsert.sh close <marker> <comment>                 close the open issue with that marker, if any
set -euo pipefail

repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
usage() { echo "usage: $0 comment <pr> <marker> <body-file> | issue <marker> <title> <body-file> | close <marker> <comment>" >&2; exit 64; }

# A field (id, number) of the first item in the pages of a JSON list (`gh api --paginate`) whose
# body contains the marker; empty when none does.
find_by_marker() {
  jq -rs --arg marker "$1" --arg field "$2" '[.[][] | select((.body // "") | contains($marker))][0][$field] // empty'
}

# The body with the marker on its first line (added once).
with_marker() {
  local marker=$1 file=$2
  if grep -qF -- "$marker" "$file"; then cat "$file"; else printf '%s\n' "$marker"; cat "$file"; fi
}

case "${1:-}" in
  comment)
    [ $# -eq 4 ] || usage
    pr=$2 marker=$3 file=$4
    [[ $pr =~ ^[0-9]+$ ]] || { echo "github-upsert: pull request number must be digits, got '$pr'" >&2; exit 64; }
    body=$(with_marker "$marker" "$file")
    id=$(gh api --paginate "repos/$repo/issues/$pr/comments" | find_by_marker "$marker" id)
    if [ -n "$id" ]; then
      gh api --method PATCH "repos/$repo/issues/comments/$id" -f body="$body" >/dev/null
      echo "updated comment $id on #$pr"
    else
      gh api --method POST "repos/$repo/issues/$pr/comments" -f body="$body" >/dev/null
      echo "commented on #$pr"
    fi
    ;;
  issue)
    [ $# -eq 4 ] || usage
    marker=$2 title=$3 file=$4
    body=$(with_marker "$marker" "$file")
    number=$(gh api --paginate "repos/$repo/issues?state=open&per_page=100" | find_by_marker "$marker" number)
    if [ -n "$number" ]; then
      gh api --method PATCH "repos/$repo/issues/$number" -f title="$title" -f body="$body" >/dev/null
      echo "updated issue #$number"
    else
      gh api --method POST "repos/$repo/issues" -f title="$title" -f body="$body" >/dev/null
      echo "opened an issue: $title"
    fi
    ;;
  close)
    [ $# -eq 3 ] || usage
    marker=$2 note=$3
    number=$(gh api --paginate "repos/$repo/issues?state=open&per_page=100" | find_by_marker "$marker" number)
    if [ -n "$number" ]; then
      gh api --method POST "repos/$repo/issues/$number/comments" -f body="$note" >/dev/null
      gh api --method PATCH "repos/$repo/issues/$number" -f state=closed >/dev/null
      echo "closed issue #$number"
    fi
    ;;
  *) usage ;;
esac
