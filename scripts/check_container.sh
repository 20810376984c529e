#!/usr/bin/env bash
# Builds the Docker image, runs `kedro run` in a container on the embedded data, then
# serves the API from the registry's champion in a second container and checks /ready,
# /model (registered version and alias) and /predict. Works with Docker or Podman (CONTAINER_ENGINE=podman|docker).
#
#   scripts/check_container.sh
#   CONTAINER_ENGINE=podman BUILD_FLAGS=--pull=never scripts/check_container.sh
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${CONTAINER_ENGINE:-$(command -v docker || command -v podman || true)}
if [ -z "$engine" ]; then
  echo "Neither docker nor podman is installed" >&2
  exit 1
fi
image=${IMAGE:-loan-default:check}
volume=loan-default-check-data
container=loan-default-check-api
port=${PORT:-18000}

cleanup() {
  "$engine" rm -f "$container" >/dev/null 2>&1 || true
  "$engine" volume rm -f "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

echo "== build"
# shellcheck disable=SC2086
time "$engine" build ${BUILD_FLAGS:-} -t "$image" .

echo "== kedro run in a container (default command, embedded data)"
time "$engine" run --rm -v "$volume:/app/data" "$image"

echo "== the API in a container, serving the registry's champion (data/mlflow.db on the volume)"
"$engine" run -d --name "$container" -p "127.0.0.1:$port:8000" -v "$volume:/app/data" \
  "$image" python -m loan_default.api serve --host 0.0.0.0 --port 8000 >/dev/null
for _ in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/ready"; echo
card=$(curl -fsS "http://127.0.0.1:$port/model")
if ! grep -Eq '"registered_version": ?1[,}]' <<<"$card" \
  || ! grep -Eq '"registered_aliases": ?\["champion"\]' <<<"$card"; then
  echo "/model does not name registered version 1, alias champion: $card" >&2
  exit 1
fi
echo "/model: registered version 1, alias champion"
curl -fsS "http://127.0.0.1:$port/predict" -H 'content-type: application/json' \
  -d '{"applications": [{"SK_ID_CURR": 100001, "EXT_SOURCE_2": 0.3, "DAYS_BIRTH": -12000}]}'
echo
echo "== container check passed"
