#!/usr/bin/env node
// The `avs` command line: runs the built CLI (electron-vite builds it to out/main/cli.js).
const { existsSync } = require('node:fs')
const { join } = require('node:path')
const cli = join(__dirname, '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  process.stderr.write('avs: the app is not built yet: run `npm run build` in ' + join(__dirname, '..') + '\n')
  process.exit(1)
}
require(cli)
  .run(process.argv.slice(2))
  .then((code) => process.exit(code))
