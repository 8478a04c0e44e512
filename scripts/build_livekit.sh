#!/usr/bin/env bash
# Build LiveKit's open-source server and SIP service from their Go modules at pinned tags into .livekit/bin.
# Skipped when the binaries there already report the pinned versions. Needs Go, cgo and Debian's opus/soxr
# headers for SIP (installed here when missing). Used by `make livekit` (and so by `make test` / `make demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER_VERSION=v1.13.5   # go.mod without `replace` (v1.13.6+ replace pion with LiveKit forks)
SIP_VERSION=v1.8.0       # pinned in deployment/livekit/sip-build/go.mod (the tag the Go proxy here serves)
BIN="$PWD/.livekit/bin"
mkdir -p "$BIN"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

have_server() { [ -x "$BIN/server" ] && "$BIN/server" --version 2>/dev/null | grep -q " ${SERVER_VERSION#v}$"; }
have_sip() { [ -x "$BIN/livekit-sip" ] && [ "$(cat "$BIN/livekit-sip.version" 2>/dev/null)" = "$SIP_VERSION" ]; }

if have_server && have_sip; then
  echo "LiveKit server $SERVER_VERSION and SIP $SIP_VERSION already built in .livekit/bin"
  exit 0
fi
command -v go >/dev/null || { echo "Go is needed to build LiveKit (https://go.dev/dl); none on PATH" >&2; exit 1; }

if ! have_server; then
  echo "Building livekit-server $SERVER_VERSION (go install; a few minutes the first time)..."
  GOBIN="$BIN" go install "github.com/livekit/livekit-server/cmd/server@$SERVER_VERSION"
fi
if ! have_sip; then
  if ! pkg-config --exists opus opusfile soxr 2>/dev/null; then
    echo "Installing Debian's opus/soxr headers for LiveKit SIP (cgo)..."
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
      libopus-dev libopusfile-dev libsoxr-dev pkg-config >/dev/null
  fi
  echo "Building livekit-sip $SIP_VERSION (cgo; a few minutes the first time)..."
  (cd deployment/livekit/sip-build && CGO_ENABLED=1 go build -trimpath -o "$BIN/livekit-sip" github.com/livekit/sip/cmd/livekit-sip)
  echo "$SIP_VERSION" > "$BIN/livekit-sip.version"
fi
echo "LiveKit server $SERVER_VERSION and SIP $SIP_VERSION built in .livekit/bin"
