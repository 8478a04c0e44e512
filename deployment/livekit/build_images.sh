#!/usr/bin/env bash
# Images for the compose `selfhosted` profile built from the LiveKit binaries this project builds
# (`make livekit` -> .livekit/bin), tagged as the pinned official images so compose uses them without a
# registry:  livekit/livekit-server:v1.13.5 and livekit/sip:v1.8.0 (the pins in docker-compose.yml).
# Refuses binaries of another version. docker where an engine runs, else buildah on the local Debian base.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER_TAG=v1.13.5
SIP_TAG=v1.8.0
BIN=${LIVEKIT_BIN:-.livekit/bin}

"$BIN/server" --version 2>/dev/null | grep -q " ${SERVER_TAG#v}$" \
  || { echo "$BIN/server is not livekit-server $SERVER_TAG: run make livekit" >&2; exit 1; }
[[ "$(cat "$BIN/livekit-sip.version" 2>/dev/null)" == "$SIP_TAG" ]] \
  || { echo "$BIN/livekit-sip is not livekit-sip $SIP_TAG ($BIN/livekit-sip.version): run make livekit" >&2; exit 1; }

if command -v docker >/dev/null && docker info >/dev/null 2>&1 && [[ "${BUILDER:-docker}" == docker ]]; then
  build=(docker build)
  base=()
else
  # shellcheck source=deployment/local/storage.sh
  source deployment/local/storage.sh
  build=(buildah "${STORAGE_OPTS[@]}" bud --isolation chroot --layers --format docker)
  base=(--build-arg "BASE_IMAGE=$(deployment/local/base_image.sh)")
fi
"${build[@]}" "${base[@]}" -f deployment/livekit/server.Dockerfile -t "livekit/livekit-server:$SERVER_TAG" "$BIN" >&2
"${build[@]}" "${base[@]}" -f deployment/livekit/sip.Dockerfile -t "livekit/sip:$SIP_TAG" "$BIN" >&2
echo "built livekit/livekit-server:$SERVER_TAG and livekit/sip:$SIP_TAG from $BIN" >&2
