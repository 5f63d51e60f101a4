#!/usr/bin/env node
// The rubberduck CLI is not built yet: run workflows through the library API
// (see README.md), or the example with `npm run example`.
console.error("rubberduck: the command-line interface is not available yet; see README.md for the library API.");
process.exit(2);
