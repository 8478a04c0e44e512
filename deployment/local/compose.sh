#!/usr/bin/env bash
# docker-compose.yml brought up with podman-compose (pinned in the dev extra) on a machine without a Docker
# engine or an image registry, against the host's Postgres, Redis and LiveKit: the app services on the host
# network (docker-compose.selfhosted.yml) running the images `make image` built (deployment/local/compose.host.yml).
# podman runs as deployment/local/podman.sh sets it up (runc, cgroupfs, containers.conf, shared storage);
# no pod (the services share the host's network, a pod would add nothing but an infra container).
#
#   deployment/local/compose.sh up -d migrate token-server dialer-worker beat agent
#   deployment/local/compose.sh ps
#   deployment/local/compose.sh down
#
# The app images' health checks run on demand (`deployment/local/podman.sh healthcheck run <container>`):
# podman 4.3 schedules them with systemd timers, which this machine lacks, and podman-compose before podman
# 4.6 does not wait for `service_healthy` (it logs "Ignored ... condition check").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
compose=${PODMAN_COMPOSE:-$root/.venv/bin/podman-compose}
[[ -x "$compose" ]] || compose=podman-compose
exec "$compose" --podman-path "$here/podman.sh" --in-pod false --project-name "${COMPOSE_PROJECT_NAME:-clinic-dialer}" \
  -f "$root/docker-compose.yml" -f "$root/docker-compose.selfhosted.yml" -f "$here/compose.host.yml" "$@"
