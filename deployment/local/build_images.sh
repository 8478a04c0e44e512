#!/usr/bin/env bash
# Build every service image from deployment/Dockerfile: with docker where a Docker engine answers,
# else with buildah (rootful, chroot isolation, overlay or vfs storage: what works on a machine without a
# container engine or an image registry). `make image` runs this.
#
#   deployment/local/build_images.sh [TARGET...]     # default: all five targets
#
# Images are tagged $IMAGE_REPOSITORY:<target>-$IMAGE_TAG (default clinic-dialer:<target>-local), the
# naming of docker-compose.prod.yml and the ECS task definitions. Layers are cached (docker's cache,
# buildah --layers): the five targets share the frontend, dependency and runtime layers, and a second
# build with unchanged sources only checks the cache.
#
# Environment: PYTHON_IMAGE (base image; with buildah default the local Debian base made by
# base_image.sh), BUILDER=docker|buildah to force one, CONTAINER_STORAGE_DRIVER (storage.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(migrate token-server dialer-worker beat agent)
REPO=${IMAGE_REPOSITORY:-clinic-dialer}
TAG=${IMAGE_TAG:-local}

builder=${BUILDER:-}
if [[ -z "$builder" ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then builder=docker; else builder=buildah; fi
fi

build_args=()
case "$builder" in
  docker)
    [[ -n "${PYTHON_IMAGE:-}" ]] && build_args+=(--build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
    build=(docker build)
    ;;
  buildah)
    command -v buildah >/dev/null || {
      echo "no Docker engine and no buildah: apt-get install buildah podman runc debootstrap" >&2; exit 1; }
    base=${PYTHON_IMAGE:-$(deployment/local/base_image.sh)}
    build_args+=(--build-arg "PYTHON_IMAGE=$base")
    # docker format: OCI image configs have no HEALTHCHECK (buildah would drop it).
    # shellcheck source=deployment/local/storage.sh
    source deployment/local/storage.sh
    build=(buildah "${STORAGE_OPTS[@]}" bud --isolation chroot --layers --format docker)
    ;;
  *) echo "BUILDER must be docker or buildah, not $builder" >&2; exit 1 ;;
esac

for target in "${TARGETS[@]}"; do
  start=$(date +%s)
  "${build[@]}" "${build_args[@]}" -f deployment/Dockerfile --target "$target" -t "$REPO:$target-$TAG" . >&2
  echo "built $REPO:$target-$TAG with $builder in $(( $(date +%s) - start ))s" >&2
done
