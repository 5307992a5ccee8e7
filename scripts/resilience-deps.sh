#!/usr/bin/env bash
# Installs what the resilience suite (test/resilience) runs, from Debian's packages, when missing:
# etcd (the consensus store), Patroni (PostgreSQL high availability), PostgreSQL 15 and HAProxy.
# Nothing is started or enabled here: the suite starts its own processes on 127.0.0.1.
set -euo pipefail
packages=(etcd-server patroni postgresql-15 haproxy)
need=(/usr/bin/etcd /usr/bin/patroni /usr/lib/postgresql/15/bin/postgres /usr/sbin/haproxy)
missing=0
for path in "${need[@]}"; do [[ -x "$path" ]] || missing=1; done
[[ $missing == 0 ]] && exit 0

if [[ $(id -u) == 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "The resilience suite needs ${packages[*]} (Debian packages); install them as root and run it again." >&2
  exit 1
fi
# The suite makes its own clusters: the package's default one is not wanted.
"${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' | "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/openspine-no-main.conf >/dev/null
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}" \
  || { "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}"; }
