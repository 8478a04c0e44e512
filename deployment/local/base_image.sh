#!/usr/bin/env bash
# The local stand-in for the official `python:3.11-slim-bookworm` image, for machines that can build
# and run containers (buildah/podman) but cannot pull from any image registry.
#
# It is Debian bookworm made with debootstrap from Debian's own packages (python3.11, pip, venv,
# python-is-python3 so `python` exists as in the official image), imported as the local image
# $LOCAL_BASE_IMAGE. Built once: the root file system is cached as a tarball outside the repository
# ($CLINIC_DIALER_CACHE, default ~/.cache/clinic-dialer), and nothing is done when the image is already
# in container storage. A clean clone on a machine without the cache rebuilds it (about a minute).
#
# This machine reaches the package registries through a TLS-intercepting egress proxy: the host's extra
# CA certificates (/usr/local/share/ca-certificates) are added to the base's trust store so pip and npm
# inside the build trust it too. That is the one thing this base has that the official image has not.
#
#   deployment/local/base_image.sh            # build (or find) the base; prints its name
#   deployment/local/base_image.sh --rebuild  # forget the cached tarball and image, build again
set -euo pipefail

IMAGE=${LOCAL_BASE_IMAGE:-localhost/clinic-dialer-base:bookworm-py3.11}
CACHE=${CLINIC_DIALER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clinic-dialer}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TARBALL="$CACHE/debian-bookworm-python3.11.tar"
PACKAGES=python3.11,python3-pip,python3-venv,python-is-python3,ca-certificates,passwd
# shellcheck source=deployment/local/storage.sh
source "$(dirname "$0")/storage.sh"
BUILDAH=(buildah "${STORAGE_OPTS[@]}")

log() { echo "base_image: $*" >&2; }

if [[ "${1:-}" == "--rebuild" ]]; then
  "${BUILDAH[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -f "$TARBALL"
fi

if "${BUILDAH[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE is present"
  echo "$IMAGE"
  exit 0
fi

if [[ ! -f "$TARBALL" ]]; then
  command -v debootstrap >/dev/null || { log "debootstrap is missing (apt-get install debootstrap)"; exit 1; }
  mkdir -p "$CACHE"
  rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap bookworm ($PACKAGES) into $rootfs"
  debootstrap --variant=minbase --include="$PACKAGES" bookworm "$rootfs" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  # What the official slim image also leaves out: package archives and lists, docs, man pages, locales.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'C.*' -exec rm -rf {} +
  find "$rootfs/usr/lib/python3.11" -name __pycache__ -type d -prune -exec rm -rf {} +
  tar --numeric-owner -C "$rootfs" -cf "$TARBALL.part" .
  mv "$TARBALL.part" "$TARBALL"
  rm -rf "$rootfs"
  trap - EXIT
  log "cached $TARBALL ($(du -h "$TARBALL" | cut -f1))"
fi

log "importing $TARBALL as $IMAGE"
container=$("${BUILDAH[@]}" from scratch)
trap '"${BUILDAH[@]}" rm "$container" >/dev/null 2>&1 || true' EXIT
"${BUILDAH[@]}" add "$container" "$TARBALL" / >/dev/null
"${BUILDAH[@]}" config \
  --env LANG=C.UTF-8 \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --cmd '["python3"]' \
  --label org.opencontainers.image.description="Debian bookworm + Debian's python3.11 (local stand-in for python:3.11-slim-bookworm)" \
  "$container"
"${BUILDAH[@]}" commit --quiet "$container" "$IMAGE" >/dev/null
log "built $IMAGE"
echo "$IMAGE"
