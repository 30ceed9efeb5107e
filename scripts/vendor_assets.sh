#!/usr/bin/env bash
# Copy pinned front-end packages from the npm registry into boroughs/web/static/vendor/, with their
# licence files. Rerun after changing a version below; the result is committed, so running the app
# needs no npm and nothing is ever loaded from a CDN.
set -euo pipefail
GOVUK_FRONTEND=6.3.0
MAPLIBRE_GL=5.24.1
SWAGGER_UI=5.35.0

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/boroughs/web/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "govuk-frontend@$GOVUK_FRONTEND" "maplibre-gl@$MAPLIBRE_GL" "swagger-ui-dist@$SWAGGER_UI" >/dev/null
rm -rf "$vendor"
mkdir -p "$vendor/govuk-frontend" "$vendor/maplibre-gl" "$vendor/swagger-ui"

tar -xzf "govuk-frontend-$GOVUK_FRONTEND.tgz"
src=package/dist/govuk
cp "$src"/govuk-frontend.min.css "$src"/govuk-frontend.min.js "$vendor/govuk-frontend/"
cp -r "$src"/assets "$vendor/govuk-frontend/assets"
cp package/package.json package/README.md "$vendor/govuk-frontend/"  # the npm package ships no LICENSE file: package.json says MIT, README.md has the licence section
rm -rf package

tar -xzf "maplibre-gl-$MAPLIBRE_GL.tgz"
cp package/dist/maplibre-gl.js package/dist/maplibre-gl.css "$vendor/maplibre-gl/"
cp package/LICENSE.txt "$vendor/maplibre-gl/LICENSE.txt"
rm -rf package

# Swagger UI for the API docs page (/api/docs): FastAPI's default page loads it from a CDN.
tar -xzf "swagger-ui-dist-$SWAGGER_UI.tgz"
cp package/swagger-ui-bundle.js package/swagger-ui.css package/LICENSE "$vendor/swagger-ui/"
rm -rf package

cat > "$vendor/VERSIONS.txt" <<VERSIONS
govuk-frontend $GOVUK_FRONTEND
maplibre-gl $MAPLIBRE_GL
swagger-ui-dist $SWAGGER_UI
VERSIONS
echo "Vendored into $vendor:"
cat "$vendor/VERSIONS.txt"
