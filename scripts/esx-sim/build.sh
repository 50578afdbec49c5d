#!/usr/bin/env bash
# Builds esx-sim (main.go) against Debian's golang-github-vmware-govmomi-dev, in GOPATH mode and without the
# Go module proxy, into CACHE_DIR (default /var/cache/visag-esx-sim, or ~/.cache/visag-esx-sim when that is
# not writable), and prints the binary's path. A binary built from the same main.go and govmomi is reused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${CACHE_DIR:-/var/cache/visag-esx-sim}"
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || { cache="${HOME:-/tmp}/.cache/visag-esx-sim"; mkdir -p "$cache"; }
govmomi=$(dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev 2>/dev/null || echo unknown)
key=$( (sha256sum < "$here/main.go"; echo "$govmomi"; go version) | sha256sum | cut -c1-16)
binary="$cache/esx-sim-$key"
if [ ! -x "$binary" ]; then
    CGO_ENABLED=0 GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off GOCACHE="$cache/go-build" \
        go build -o "$binary.tmp" "$here/main.go"
    mv "$binary.tmp" "$binary"
fi
echo "$binary"
