#!/bin/sh
# Entry point of the Convene image: prepares per-container state, then runs the command
# unchanged (web, worker, migration or a services.cli tool; see the Dockerfile).
set -eu

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  # prometheus_client's multiprocess mode adds up every file in this folder; files left by a
  # previous run of the container would be counted again.
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi

exec "$@"
