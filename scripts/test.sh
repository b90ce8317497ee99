#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine of this kind, then runs it.
# Idempotent: what is already installed is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

command -v git >/dev/null || apt_install git
# A real ZooKeeper server for the state store, leader election and announcement tests.
[ -f /usr/share/java/zookeeper.jar ] || apt_install zookeeper
npm ci --no-audit --no-fund
npm test
