#!/usr/bin/env bash
# Installs what holots needs on Debian/Ubuntu, skipping what is already there:
#   apt: libglfw3 libegl1 libgl1-mesa-dri (GLFW window + EGL headless through koffi), xvfb (window tests),
#        x11-utils libxtst6 (window tests: xwininfo, XTest key presses), chromium (end-to-end tests), fonts-dejavu-core (text layers), openssl (test certificates),
#        nats-server (fragments: tests and benchmarks start their own on loopback), iproute2 (`ip`: the
#        two-machine test's network namespaces),
#        python3-aiortc python3-av python3-aiohttp (the seed stack, for the side-by-side benchmark)
#   npm: the locked dependencies (npm ci), only when package-lock.json changed since the last install.
# Install scripts of dependencies stay blocked (package.json "allowScripts"): none is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libglfw3 libegl1 libgl1-mesa-dri xvfb xauth x11-utils libxtst6 chromium fonts-dejavu-core openssl nats-server iproute2 python3-aiortc python3-av python3-aiohttp)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The range of package.json's "engines" (20.19 and 22.12 are where require() of ES modules needs no flag);
# test/package/engines.test.ts keeps the two in step.
if ! command -v node >/dev/null || ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)'; then
  echo "setup: holots needs Node.js 20.19+ or 22.12+ (24 recommended); install it from nodejs.org or your distribution" >&2
  exit 1
fi

stamp=node_modules/.holots-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
  echo "$hash" > "$stamp"
fi
