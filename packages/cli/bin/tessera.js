#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ keeps compiled code of the CLI's modules on disk, so the next start skips parsing them
// (start-up time, issue 14). Older Node has no such function and starts as before.
module.enableCompileCache?.();

const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv);
