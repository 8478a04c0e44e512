#!/usr/bin/env bash
# Make Postgres and Redis reachable for this project, on this machine or a fresh Debian one.
# Order: DATABASE_URL / REDIS_URL from the environment or .env if they answer; else the local
# services on their default ports; else install Debian's packages and start them.
# Idempotent: running it again when everything answers does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

check() { $PY scripts/check_services.py "$@"; }

if ! check postgres; then
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "DATABASE_URL is set but Postgres does not answer there: fix it or unset it." >&2
    exit 1
  fi
  echo "Postgres is not reachable: installing/starting Debian's postgresql package..."
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || $SUDO service postgresql start
  for _ in $(seq 1 30); do check postgres-socket && break; sleep 1; done
  # A fresh Debian cluster asks for a password on TCP: give the postgres role one and remember it.
  $SUDO -u postgres psql -q -c "ALTER USER postgres PASSWORD 'postgres'" 2>/dev/null \
    || su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
  if ! grep -q '^DATABASE_URL=' .env 2>/dev/null; then
    echo "DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/clinic_dialer" >> .env
  fi
  check postgres || { echo "Postgres still unreachable; see 'pg_lsclusters'." >&2; exit 1; }
fi

if ! check redis; then
  if [ -n "${REDIS_URL:-}" ]; then
    echo "REDIS_URL is set but Redis does not answer there: fix it or unset it." >&2
    exit 1
  fi
  echo "Redis is not reachable: installing/starting Debian's redis-server package..."
  command -v redis-server >/dev/null || {
    $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q redis-server; }
  mkdir -p /tmp/redis-clinic-dialer
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp/redis-clinic-dialer --logfile /tmp/redis-clinic-dialer/redis.log
  for _ in $(seq 1 20); do check redis && break; sleep 0.5; done
  check redis || { echo "Redis still unreachable; see /tmp/redis-clinic-dialer/redis.log" >&2; exit 1; }
fi
echo "Postgres and Redis are reachable."
