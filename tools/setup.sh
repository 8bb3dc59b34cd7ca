#!/usr/bin/env bash
# Installs everything tern needs on Debian 12, as root. Idempotent: packages already
# present are skipped, so a second run costs a dpkg query and nothing else.
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config g++ clang libclang-rt-14-dev
  libboost-context-dev librapidcheck-dev libfmt-dev libgtest-dev libgmock-dev
  libbenchmark-dev graphviz zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev)
# python3-lz4/-snappy/-zstandard: kafka-python's optional codecs (tests/clients covers them all).
client_pkgs=(kcat python3-confluent-kafka python3-kafka python3-lz4 python3-snappy
  python3-zstandard nodejs npm)
bench_pkgs=(iperf3 fio)

want=("${build_pkgs[@]}")
case "${1:-all}" in
  build) ;;
  all) want+=("${client_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: tools/setup.sh [build|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # node/npm may come from outside Debian (e.g. a preinstalled Node.js): accept the commands.
  if [[ $p == nodejs || $p == npm ]] && command -v "${p%js}" >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# kafkajs for tests/clients: npm, pinned in tests/clients/node/package.json, no lock file;
# skipped when already installed or when npm is missing.
if [[ ${1:-all} == all ]]; then
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [[ ! -d $root/tests/clients/node/node_modules/kafkajs ]] && command -v npm >/dev/null 2>&1; then
    echo "setup: installing kafkajs into tests/clients/node"
    npm install --no-audit --no-fund --loglevel=error --prefix "$root/tests/clients/node" \
      --no-package-lock >/dev/null
  fi
fi
