#!/bin/sh
# Test setup for vedette-secrets: the image tests build images with the real Docker Engine
# (`docker import` of a root filesystem holding /usr/bin/busybox, `docker build`, `docker save`)
# and scan a running container's root. Idempotent: installs docker.io and busybox-static only
# when missing, starts dockerd only when no daemon answers.
set -eu
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
[ -x /usr/bin/busybox ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing
fi
if ! docker info >/dev/null 2>&1; then
    echo "prepare.sh: starting dockerd"
    (nohup dockerd >/var/log/vedette-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "prepare.sh: dockerd did not start, see /var/log/vedette-dockerd.log" >&2; exit 1; }
fi
echo "prepare.sh: docker and busybox ready"
