#!/usr/bin/env node
// The CLI runs from the TypeScript sources through tsx, so a clone needs no build step.
require('tsx/cjs')
require('../src/cli/main.ts').main(process.argv)
