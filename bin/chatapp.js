#!/usr/bin/env node
'use strict';
// The installed command runs the compiled JavaScript (fast start); `npm run dev` uses ts-node.
require('reflect-metadata');
const { main } = require('../dist/composition/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Stop reading stdin so the process can end; any socket or timer left is already closed.
    process.stdin.unref?.();
    process.stdin.pause();
    setImmediate(() => process.exit(code));
  },
  (error) => {
    process.stderr.write(`chatapp: unexpected failure: ${error && error.message ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
