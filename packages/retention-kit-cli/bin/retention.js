#!/usr/bin/env node
// The `retention` command: the compiled CLI, with stack traces mapped to the TypeScript source.
process.setSourceMapsEnabled(true);
require('../lib/cli/main.js').main();
