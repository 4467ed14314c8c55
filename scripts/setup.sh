#!/usr/bin/env bash
# Installs what bpfmaps needs on a fresh Debian/Ubuntu machine: clang (BPF
# target), libbpf headers and library, bpftool, tmux (for the tests), then
# the npm workspaces.
# Idempotent: skips apt when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=0
for cmd in clang bpftool tmux; do command -v "$cmd" >/dev/null 2>&1 || need_apt=1; done
[ -f /usr/include/bpf/bpf_helpers.h ] || need_apt=1
ldconfig -p 2>/dev/null | grep -q 'libbpf.so.1 ' || need_apt=1

if [ "$need_apt" = 1 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # tmux: the tests drive `bpfmaps top` in a terminal.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang libbpf-dev libbpf1 bpftool tmux >/dev/null
fi

npm ci --no-audit --no-fund
echo "setup: clang $(clang -dumpversion), libbpf headers, bpftool and npm packages are installed"
