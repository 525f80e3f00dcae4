#!/usr/bin/env bash
# Install the Debian packages the test suites drive for real: Chromium (browser
# tests), redis-server and nginx (scale-out tests), Node.js (the benchmark's load
# generator, whose smoke run is a test). Does nothing when they are all present;
# needs root or sudo otherwise.
set -euo pipefail

declare -A wanted=(
  [chromium]=/usr/bin/chromium
  [redis-server]=/usr/bin/redis-server
  [nginx-light]=/usr/sbin/nginx
  [nodejs]=/usr/bin/node
)

missing=()
for package in "${!wanted[@]}"; do
  [ -x "${wanted[$package]}" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "Missing: ${missing[*]}. Install them with apt-get as root; the suites that need them will skip." >&2
  exit 0
fi
echo "Installing ${missing[*]} with apt-get"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
