#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing Rookery needs.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcaf-dev capnproto libcapnp-dev liblmdb-dev libspdlog-dev libtomlplusplus-dev
  libcli11-dev libssl-dev zlib1g-dev catch2
  zookeeper zookeeper-bin libzookeeper-mt-dev python3-kazoo python3-pytest netcat-openbsd
  procps
  # Apache Curator 5.4 (framework + recipes; client, guava, slf4j, jackson come as dependencies)
  # for tests/process/test_curator.py
  libcurator-framework-java libcurator-recipes-java
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists; refresh them once when an install fails.
if ! "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
