#!/usr/bin/env bash
# Refresh the vendored Socket.IO JS client in static/vendor/socket.io/ from the npm registry.
# Usage: scripts/refresh-vendor.sh [version]   (default: the version pinned below)
# The page imports the ES module build; nothing is loaded from a CDN at runtime.
set -euo pipefail

VERSION="${1:-4.8.4}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/static/vendor/socket.io"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$WORK" && npm pack --silent "socket.io-client@$VERSION" >/dev/null && tar -xzf "socket.io-client-$VERSION.tgz")
mkdir -p "$DEST"
cp "$WORK/package/dist/socket.io.esm.min.js" "$WORK/package/dist/socket.io.esm.min.js.map" "$DEST/"
cp "$WORK/package/LICENSE" "$DEST/LICENSE"
echo "socket.io-client $VERSION -> $DEST"
