#!/usr/bin/env bash
# Installs what undocker needs on a fresh Debian machine, then its npm packages and build.
#   scripts/install-deps.sh          the helpers undocker runs (xz, zstd, bzip2, setfattr, mknod), busybox-static for the
#                                    sample, and a C compiler for the C helpers (src/host/*.c)
#   scripts/install-deps.sh --test   also what the test suite uses: a Docker engine, skopeo, umoci, getfattr, setpriv,
#                                    bsdtar and Python (tar writers the reader is tested against),
#                                    systemd-nspawn, LXC, and the registry server with htpasswd and openssl
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(xz-utils zstd bzip2 attr coreutils busybox-static gcc libc6-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(docker.io skopeo umoci tar gzip util-linux libcap2-bin systemd-container lxc docker-registry apache2-utils openssl
    libarchive-tools python3 procps systemd)
fi

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then as_root=(sudo); fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  echo "installing Debian packages: ${missing[*]}" >&2
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci runs the `prepare` script, which builds.
npm ci --no-audit --no-fund --loglevel=error
