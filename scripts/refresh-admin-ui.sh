#!/usr/bin/env bash
# Refresh the vendored Socket.IO Admin UI and the two stylesheets it loads from CDNs, from the npm registry.
# Usage: scripts/refresh-admin-ui.sh [admin-ui version] [@mdi/font version] [@fontsource/roboto version]
#        (defaults: the versions pinned below; static/vendor/README.md says what each file is)
#
# - @socket.io/admin-ui's built UI (ui/dist, without its 3.4 MB of source maps) -> static/vendor/admin-ui/
# - @mdi/font's stylesheet and woff2 font (the icon stylesheet) -> static/vendor/mdi/
# - @fontsource/roboto's normal weights 100-900, woff2 (the Roboto font) -> static/vendor/roboto/
#
# The UI's index.html is rewritten in three places: the two CDN stylesheets point at the local copies,
# and a classic script (static/admin/prefill.js) runs before the UI's own, to prefill its connection
# dialog. The script stops if any of the three places is not found, as after an upstream change.
set -euo pipefail

ADMIN_UI_VERSION="${1:-0.5.1}"
MDI_VERSION="${2:-7.4.47}"
ROBOTO_VERSION="${3:-5.3.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

unpack() { # unpack PACKAGE VERSION DIR: `npm pack` the package and untar it into $WORK/DIR
    mkdir -p "$WORK/$3"
    (cd "$WORK" && npm pack --silent "$1@$2" >/dev/null && tar -xzf "$(ls -t ./*.tgz | head -1)" -C "$3" && rm ./*.tgz)
}
unpack @socket.io/admin-ui "$ADMIN_UI_VERSION" admin-ui
unpack @mdi/font "$MDI_VERSION" mdi
unpack @fontsource/roboto "$ROBOTO_VERSION" roboto

rm -rf "$VENDOR/admin-ui" "$VENDOR/mdi" "$VENDOR/roboto"
mkdir -p "$VENDOR/admin-ui" "$VENDOR/mdi/css" "$VENDOR/mdi/fonts" "$VENDOR/roboto/files"

cp -r "$WORK/admin-ui/package/ui/dist/." "$VENDOR/admin-ui/"
rm -f "$VENDOR"/admin-ui/js/*.map
cp "$WORK/admin-ui/package/LICENSE" "$VENDOR/admin-ui/LICENSE"

cp "$WORK/mdi/package/css/materialdesignicons.min.css" "$VENDOR/mdi/css/"
cp "$WORK/mdi/package/fonts/materialdesignicons-webfont.woff2" "$VENDOR/mdi/fonts/"
cp "$WORK/mdi/package/LICENSE" "$VENDOR/mdi/LICENSE"

WEIGHTS="100 300 400 500 700 900"
for weight in $WEIGHTS; do
    cp "$WORK"/roboto/package/files/roboto-*-"$weight"-normal.woff2 "$VENDOR/roboto/files/"
done
cp "$WORK/roboto/package/LICENSE" "$VENDOR/roboto/LICENSE"

python3 - "$WORK" "$VENDOR" "$MDI_VERSION" $WEIGHTS <<'PYTHON'
"""Point the UI at the local stylesheets, and keep only the woff2 font files every current browser reads."""
import pathlib
import re
import sys

work, vendor, mdi_version, weights = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4:]


def replace_once(text, pattern, replacement, what):
    """Replace the one match of `pattern`, or stop: the upstream file changed."""
    new, count = re.subn(pattern, lambda _: replacement, text)
    if count != 1:
        sys.exit(f"refresh-admin-ui: expected one {what}, found {count}; read the new file and update this script")
    return new


index = vendor / "admin-ui" / "index.html"
html = index.read_text()
html = replace_once(
    html, r'<link rel="stylesheet" href="https://fonts\.googleapis\.com/[^"]*">',
    '<link rel="stylesheet" href="../static/vendor/roboto/roboto.css">', "Google Fonts stylesheet")
html = replace_once(
    html, r'<link rel="stylesheet" href="https://cdn\.jsdelivr\.net/npm/@mdi/font[^"]*">',
    '<link rel="stylesheet" href="../static/vendor/mdi/css/materialdesignicons.min.css">', "@mdi/font stylesheet")
html = replace_once(html, r"<title>", '<script src="../static/admin/prefill.js"></script><title>', "<title>")
if "https://" in html or "http://" in html:
    sys.exit("refresh-admin-ui: index.html still names a remote URL")
index.write_text(html)

mdi = vendor / "mdi" / "css" / "materialdesignicons.min.css"
mdi.write_text(replace_once(
    mdi.read_text(), r'src:url\("\.\./fonts/materialdesignicons-webfont\.eot[^;]*;src:[^;]*;',
    f'src:url("../fonts/materialdesignicons-webfont.woff2?v={mdi_version}") format("woff2");', "@font-face src"))

faces = []
for weight in weights:
    css = (work / "roboto" / "package" / f"{weight}.css").read_text()
    faces.append(re.sub(r", url\(\./files/[^)]*\.woff\) format\('woff'\)", "", css))
(vendor / "roboto" / "roboto.css").write_text("\n".join(faces))
PYTHON

echo "@socket.io/admin-ui $ADMIN_UI_VERSION, @mdi/font $MDI_VERSION, @fontsource/roboto $ROBOTO_VERSION -> $VENDOR"
echo "sha256 of the UI's index.html as rewritten: $(sha256sum "$VENDOR/admin-ui/index.html" | cut -d' ' -f1)"
