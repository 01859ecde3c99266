#!/usr/bin/env bash
# Puts promtool at $1/promtool for the alert-rule unit tests (make tools).
# Uses a promtool on PATH when there is one; otherwise takes it out of
# Debian's prometheus package (downloaded, unpacked, never installed: no
# service, no user) — Debian 12 serves Prometheus 2.42.
set -euo pipefail
dest=${1:?usage: promtool.sh BINDIR}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
if have=$(command -v promtool 2>/dev/null) && [ "$have" != "$dest/promtool" ]; then
  ln -sf "$have" "$dest/promtool"
  exit 0
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "promtool.sh: no promtool on PATH and no apt-get/dpkg-deb to fetch Debian's; install Prometheus's promtool and re-run" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if ! apt-get download prometheus >/dev/null 2>&1; then
  apt-get update -qq
  apt-get download prometheus
fi
dpkg-deb -x prometheus_*.deb root
install -m 0755 root/usr/bin/promtool "$dest/promtool"
"$dest/promtool" --version | head -1
