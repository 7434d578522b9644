#!/usr/bin/env bash
# Builds the daemon image from a binary built here, pulling nothing:
# FROM scratch with the host's CA bundle, the static binary and the
# /run/ratchet mount point owned by the runtime user.
#
#   scripts/build-daemon-image.sh [TAG]     (default ratchet-daemon:local)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tag="${1:-ratchet-daemon:local}"
binary=$("$root/scripts/build-daemon.sh" | tail -n 1)
ca_bundle="${RATCHET_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
if [[ ! -f "$ca_bundle" ]]; then
  echo "build-daemon-image: no CA bundle at $ca_bundle; set RATCHET_CA_BUNDLE" >&2
  exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/ratchet"
cp "$ca_bundle" "$context/ca-certificates.crt"
mkdir -p "$context/run/ratchet"
docker build --quiet -f "$root/daemon/Dockerfile.prebuilt" -t "$tag" "$context" >&2
echo "$tag"
