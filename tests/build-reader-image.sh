#!/usr/bin/env bash
# Builds the reader image of the container tests from a binary built here,
# pulling nothing: FROM scratch, the static ratchet-e2e-reader and nothing
# else. Prints the tag as the last line of stdout.
#
#   tests/build-reader-image.sh [TAG]     (default ratchet-e2e-reader:local)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-ratchet-e2e-reader:local}"
binary=$("$root/scripts/build-static.sh" release ratchet-e2e ratchet-e2e-reader | tail -n 1)

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/reader"
printf 'FROM scratch\nCOPY reader /reader\nENTRYPOINT ["/reader"]\n' >"$context/Dockerfile"
docker build --quiet -t "$tag" "$context" >&2
echo "$tag"
