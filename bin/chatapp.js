#!/usr/bin/env node
'use strict';
// The installed command runs the one-file bundle of the compiled JavaScript, through a V8 code
// cache kept per user (see src/composition/run-bundle.ts): start-up is what users feel most.
// `npm run dev -- …` runs the TypeScript sources with ts-node instead.
const path = require('node:path');
const { codeCacheDir, roleOf, runBundle } = require('../dist/composition/run-bundle.js');

runBundle(path.join(__dirname, '../dist/bundle/chatapp.js'), codeCacheDir(process.env), roleOf(process.argv.slice(2)));
