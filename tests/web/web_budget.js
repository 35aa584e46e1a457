// web_budget.js - the app's own JavaScript, gzipped, against its budget
// (150 KB = 153,600 bytes), snarkjs excluded: it is one chunk, loaded only
// when the proof page verifies. Vite's manifest names that chunk, so the
// check cannot silently count the wrong file.
//
// usage: node web_budget.js BUILD_DIR VITE_MANIFEST.json
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const BUDGET = 150 * 1024;
const [buildDir, manifestPath] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const snark = Object.entries(manifest).filter(([src]) => src.includes('node_modules/snarkjs/'));
if (snark.length !== 1 || snark[0][1].imports?.length) {
  console.error(`FAILED: expected snarkjs as one chunk without imports, manifest has ${JSON.stringify(snark)}`);
  process.exit(1);
}
const snarkFile = snark[0][1].file;

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}
let app = 0, appRaw = 0, files = 0;
let snarkGz = 0, snarkRaw = 0;
for (const f of walk(buildDir).filter((f) => f.endsWith('.js'))) {
  const raw = fs.readFileSync(f);
  const gz = zlib.gzipSync(raw, { level: 9 }).length;
  if (path.relative(buildDir, f) === snarkFile) {
    snarkGz = gz;
    snarkRaw = raw.length;
  } else {
    app += gz;
    appRaw += raw.length;
    files++;
  }
}
if (!snarkGz) {
  console.error(`FAILED: ${snarkFile} is not in ${buildDir}`);
  process.exit(1);
}
console.log(`app JavaScript: ${files} files, ${appRaw} B, ${app} B gzipped (budget ${BUDGET} B)`);
console.log(`snarkjs chunk (proof page only): ${snarkRaw} B, ${snarkGz} B gzipped`);
if (app > BUDGET) {
  console.error(`FAILED: the app's JavaScript is ${app} B gzipped, over the budget of ${BUDGET} B`);
  process.exit(1);
}
