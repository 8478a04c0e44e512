#!/usr/bin/env bash
# podman as it works on a machine without a Docker engine (see deployment/README.md, "Building without a
# registry"): buildah's storage (storage.sh: the images build_images.sh made are here), runc (crun
# fails: "cgroups in hybrid mode not supported"), cgroupfs (no systemd), and containers.conf without
# default ulimits. Use it like podman, e.g. with --network host to reach Postgres/Redis on 127.0.0.1:
#   deployment/local/podman.sh run --rm --network host -e DATABASE_URL=... clinic-dialer:migrate-local
# podman-compose takes it as --podman-path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
# shellcheck source=deployment/local/storage.sh
source "$here/storage.sh"
exec podman "${STORAGE_OPTS[@]}" --runtime "${CONTAINER_RUNTIME:-runc}" --cgroup-manager cgroupfs "$@"
