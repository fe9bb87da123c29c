#!/usr/bin/env bash
# Copy the browser libraries from tests/web/node_modules (versions pinned in tests/web/package.json)
# into web/vendor/ with their licences. Only needed to upgrade them: web/vendor/ is committed so
# that a fresh clone serves the pages with no build step and no network.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd tests/web && npm ci --no-audit --no-fund >/dev/null)
nm=tests/web/node_modules
rm -rf web/vendor && mkdir -p web/vendor/maplibre-gl web/vendor/terra-draw web/vendor/terra-draw-maplibre-gl-adapter
cp $nm/maplibre-gl/dist/{maplibre-gl.mjs,maplibre-gl-worker.mjs,maplibre-gl-shared.mjs,maplibre-gl.css} $nm/maplibre-gl/LICENSE.txt web/vendor/maplibre-gl/
cp $nm/terra-draw/dist/terra-draw.modern.js web/vendor/terra-draw/
cp $nm/terra-draw-maplibre-gl-adapter/dist/terra-draw-maplibre-gl-adapter.modern.js web/vendor/terra-draw-maplibre-gl-adapter/
for pkg in terra-draw terra-draw-maplibre-gl-adapter; do
  # The npm packages carry no LICENSE file; their package.json says MIT, copyright James Milner.
  sed "s/@PACKAGE@/$pkg/" scripts/mit-licence.txt > web/vendor/$pkg/LICENSE
done
for pkg in maplibre-gl terra-draw terra-draw-maplibre-gl-adapter; do
  node -p "require('./$nm/$pkg/package.json').version" > web/vendor/$pkg/VERSION
done
