// poseidon_oracle.js TOOL - circomlibjs's poseidon is the oracle for our
// native Poseidon and its gadget (poseidon_tool): for every width t = 2..17,
// random inputs and a random or zero initial state; then the commitment
// chain of docs/COMMITMENTS.md over lengths around the chunk boundaries,
// recomputed here from its definition. Prints the constraints per
// permutation; exits 1 on the first disagreement.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const path = require('path');
const { buildPoseidon } = require(path.join(__dirname, '../../node_modules/circomlibjs'));

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const rand = () => BigInt('0x' + crypto.randomBytes(32).toString('hex')) % R;
const small = () => BigInt(crypto.randomInt(0, 1 << 30));

function commit(poseidon, xs) {
  let h = BigInt(xs.length);
  for (let at = 0; at < xs.length; at += 16)
    h = poseidon.F.toObject(poseidon(xs.slice(at, at + 16), h));
  return h;
}

(async () => {
  const poseidon = await buildPoseidon();
  const cases = [];
  for (let n = 1; n <= 16; n++)
    for (const init of [0n, rand()])
      for (const draw of [rand, small]) {
        const xs = Array.from({ length: n }, draw);
        cases.push({ line: `hash ${init} ${xs.join(' ')}`, n,
                     want: poseidon.F.toObject(poseidon(xs, init)) });
      }
  for (const n of [0, 1, 2, 15, 16, 17, 32, 33, 100]) {
    const xs = Array.from({ length: n }, rand);
    cases.push({ line: `commit ${xs.join(' ')}`, n, commit: true, want: commit(poseidon, xs) });
  }
  const tool = spawnSync(process.argv[2], { input: cases.map(c => c.line).join('\n') + '\n',
                                            maxBuffer: 1 << 26 });
  process.stderr.write(tool.stderr);
  const answers = tool.stdout.toString().trim().split('\n').map(l => JSON.parse(l));
  let bad = tool.status !== 0 ? 1 : 0;
  if (answers.length !== cases.length) {
    console.error(`tool answered ${answers.length} of ${cases.length} lines`);
    process.exit(1);
  }
  const perWidth = {};
  cases.forEach((c, i) => {
    const a = answers[i];
    for (const k of ['native', 'gadget'])
      if (BigInt(a[k]) !== c.want) {
        console.error(`${c.line.slice(0, 60)}...: ${k} ${a[k]}, circomlibjs ${c.want}`);
        bad = 1;
      }
    if (!c.commit) perWidth[c.n + 1] = a.constraints;
    else console.log(`commitment of ${c.n} elements: ${a.constraints} constraints`);
  });
  for (const t of Object.keys(perWidth))
    console.log(`t = ${t}: ${perWidth[t]} constraints per permutation`);
  console.log(bad ? 'FAIL' : `ok: ${cases.length} hashes equal circomlibjs's`);
  process.exit(bad);
})();
