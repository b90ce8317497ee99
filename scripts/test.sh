#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine of this kind, then runs it.
# Idempotent: what is already installed is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/apt.sh
source scripts/lib/apt.sh

command -v git >/dev/null || apt_install git
# A real ZooKeeper server for the state store, leader election and announcement tests.
[ -f /usr/share/java/zookeeper.jar ] || apt_install zookeeper
npm ci --no-audit --no-fund
npm test
