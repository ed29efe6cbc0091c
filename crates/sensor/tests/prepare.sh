#!/usr/bin/env bash
# Prepares what the vedette-sensor Docker tests need. Idempotent: installs
# only what is missing and starts dockerd only when no daemon answers.
#
#   apt:     docker.io (Engine and CLI), busybox-static (the test image's only binary)
#   dockerd: started in the background, log in /var/log/vedette-dockerd.log
set -euo pipefail

apt_missing=()
command -v dockerd >/dev/null || apt_missing+=(docker.io)
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || apt_missing+=(busybox-static)
if ((${#apt_missing[@]})); then
    echo "prepare.sh: apt-get install ${apt_missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${apt_missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
    echo "prepare.sh: starting dockerd"
    (nohup dockerd >/var/log/vedette-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "prepare.sh: dockerd did not start, see /var/log/vedette-dockerd.log" >&2; exit 1; }
fi
