#!/usr/bin/env node
// The rubberduck CLI: from the TypeScript sources through tsx in a checkout of the
// repository, from the compiled files in an installed package (which has no sources).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import(new URL("../dist/src/cli/main.js", import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
// A step that left a timer or socket open must not keep the command alive.
setTimeout(() => process.exit(), 1_000).unref();
