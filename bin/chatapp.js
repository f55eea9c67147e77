#!/usr/bin/env node
'use strict';
// The installed command runs the compiled JavaScript (fast start); `npm run dev -- …` uses ts-node.
require('../dist/composition/cli.js');
