#!/usr/bin/env node
// The rubberduck CLI: the compiled entry when the package is built, else the
// TypeScript sources through tsx (a checkout of the repository).
import { existsSync } from "node:fs";

const built = new URL("../dist/src/cli/main.js", import.meta.url);
let main;
if (existsSync(built)) {
  ({ main } = await import(built.href));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(new URL("../src/cli/main.ts", import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
// A step that left a timer or socket open must not keep the command alive.
setTimeout(() => process.exit(), 1_000).unref();
