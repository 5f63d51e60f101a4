#!/usr/bin/env bash
# Consume the packed package as a new user would: a separate project with strict
# TypeScript (skipLibCheck off), ESM and require(), on the oldest and the newest xstate
# the package supports. Checks that the app's one xstate is the library's, that
# importing the library installs neither tsx nor esbuild, that source maps carry their
# sources, that the README's embedding scenario typechecks and runs, and that the installed
# `rubberduck` command runs a .js module and says in one sentence that .ts needs tsx.
#
#   bash test/package/consume.sh            # from the repository root
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

oldest=$(node -p 'require(process.argv[1]).peerDependencies.xstate.replace(/^\^/, "")' "$root/package.json")
newest=$(node -p 'require(process.argv[1]).version' "$root/node_modules/xstate/package.json")
typescript=$(node -p 'require(process.argv[1]).version' "$root/node_modules/typescript/package.json")

(cd "$root" && npm pack --silent --pack-destination "$work" > "$work/packed.txt")
tarball="$work/$(tail -n 1 "$work/packed.txt")"
echo "packed $(basename "$tarball")"

for xstate in "$oldest" "$newest"; do
  app="$work/app-xstate-$xstate"
  mkdir -p "$app"
  cp "$root/test/package/app/"* "$app/"
  (cd "$app" && npm init -y > /dev/null && npm pkg set type=module > /dev/null \
    && npm install --silent --no-audit --no-fund "$tarball" "xstate@$xstate" "typescript@$typescript" "@types/node@20" > /dev/null)
  (cd "$app" && npx tsc -p tsconfig.json) || { echo "consumer (xstate $xstate): typecheck FAILED"; exit 1; }
  (cd "$app" && node dist/esm.js && node dist/cjs.cjs) || { echo "consumer (xstate $xstate): run FAILED"; exit 1; }
  # The installed command: a .js module runs; a .ts one, without tsx, is one sentence and exit 2.
  (cd "$app" && [ "$(npx rubberduck run flow.js 2> /dev/null)" = "greeting: hi" ]) \
    || { echo "consumer (xstate $xstate): rubberduck run flow.js FAILED"; exit 1; }
  set +e
  (cd "$app" && cp flow.js flow.ts && npx rubberduck run flow.ts > /dev/null 2> tsx.err)
  code=$?
  set -e
  if [ "$code" != "2" ] || ! grep -q "needs tsx" "$app/tsx.err"; then
    echo "consumer (xstate $xstate): loading .ts without tsx should say so and exit 2 (got $code)"; exit 1
  fi
  copies=$(cd "$app" && find node_modules -name package.json -path '*/xstate/package.json' -not -path '*/node_modules/*/node_modules/*/*' | wc -l)
  [ "$copies" = "1" ] || { echo "consumer (xstate $xstate): $copies copies of xstate"; exit 1; }
  for unwanted in tsx esbuild better-sqlite3 pg; do
    if [ -e "$app/node_modules/$unwanted" ]; then echo "consumer: installing the library pulled in $unwanted"; exit 1; fi
  done
  node -e '
    const map = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (!map.sourcesContent || map.sourcesContent.some((s) => typeof s !== "string")) process.exit(1);
  ' "$app/node_modules/@rubberduck/workflows/dist/src/index.js.map" || { echo "consumer: source maps lack their sources"; exit 1; }
  echo "consumer (xstate $xstate, typescript $typescript): strict typecheck, ESM, require() and the command ok"
done
