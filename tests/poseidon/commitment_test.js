// commitment_test.js BIN SNARKJS FIXTURES [params] - the public signals of real proofs
// recomputed from the public artifacts exactly as docs/COMMITMENTS.md says,
// with circomlibjs's Poseidon: for each visibility choice, `zkml-registry run`
// proves a row, and every public signal must equal the value recomputed from
// input.json, output.json and settings.json; verify.json must name them;
// snarkjs must accept the proof and refuse it with the commitment changed;
// with hashed outputs, verify must refuse an output.json that does not open it.
// The evaluation proof of each run likewise: dataset commitment from
// data.csv and settings.json, the circuit hash from network.r1cs (node's
// SHA-256), row count, correct count; a changed count refused.
// A regression (reg_sigmoid) likewise: the threshold recomputed from
// settings.json, the boolean from the proven SSE, a flipped boolean refused
// by snarkjs both as a public signal and inside the witness (wtns check).
// With `params` (its own ctest):
// hashed parameters (iris_mlp, digits_cnn): the parameter commitment recomputed
// from the ONNX file and settings.json (onnx_params.js), the last public
// signal of the inference proof and (iris_mlp) of the evaluation proof; a
// weight changed in the witness fails snarkjs's wtns check, and a weight
// changed in the ONNX file changes the commitment.
// The CLI must refuse visibility words it does not support.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildPoseidon } = require(path.join(__dirname, '../../node_modules/circomlibjs'));
const { parameters, readOnnx } = require('./onnx_params');

const [bin, snarkjs, fixtures, suite] = process.argv.slice(2);
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
let failures = 0;
const fail = msg => { console.error('FAIL: ' + msg); failures++; };

function pack(q, p) {
  const e = [];
  for (let k = 0; k < p.elements; k++) {
    let v = 0n;
    for (let i = Math.min(p.count, (k + 1) * p.values_per_element) - 1;
         i >= k * p.values_per_element; i--)
      v = (v << BigInt(p.bits)) + BigInt(q[i]) + BigInt(p.offset);
    e.push(v);
  }
  return e;
}

function commitment(poseidon, e) {
  let h = BigInt(e.length);
  for (let k = 0; k < e.length; k += 16)
    h = poseidon.F.toObject(poseidon(e.slice(k, k + 16), h));
  return h;
}

// The signals and names a tensor shows with visibility vis.
function shown(poseidon, what, q, p, vis) {
  if (vis === 'private') return [];
  const e = pack(q, p);
  if (vis === 'hashed') return [[`${what}_commitment`, commitment(poseidon, e)]];
  return e.map((v, k) => [`${what}_packed_${k}`, v]);
}

const read = (dir, f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const round = x => Math.sign(x) * Math.round(Math.abs(x));

// data.csv as docs/COMMITMENTS.md reads it: features as float32, labels as
// class indices (the column named label, class, target or y, else a
// non-numeric last column).
function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l.trim() !== '');
  const header = lines[0].split(',').map(h => h.trim());
  const rows = lines.slice(1).map(l => l.split(',').map(v => v.trim()));
  let col = header.findIndex(h => ['label', 'class', 'target', 'y'].includes(h.toLowerCase()));
  if (col < 0 && rows.some(r => Number.isNaN(Number(r[r.length - 1])))) col = header.length - 1;
  const names = [...new Set(rows.map(r => r[col]))].sort();
  const numeric = rows.every(r => !Number.isNaN(Number(r[col])));
  return rows.map(r => ({
    x: r.filter((_, i) => i !== col).map(v => Math.fround(Number(v))),
    label: numeric ? Number(r[col]) : names.indexOf(r[col]),
  }));
}

// The evaluation proof: its public signals recomputed from data.csv and
// settings.json, snarkjs's verdict, and a changed count refused.
// A row's label element: its class index, or its target at the output's
// scale (a negative one as r - |t|).
const labelElement = (label, settings, ev) =>
  ev.metric === 'rmse' ? (BigInt(round(label * 2 ** settings.scales.output)) + R) % R
                       : BigInt(label);

// Signal 2: SHA-256 of network.r1cs as a big-endian integer mod r.
const circuitHash = dir =>
  BigInt('0x' + crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'network.r1cs'))).digest('hex')) % R;

// Signals 4..: the correct count, or SSE, the threshold and the boolean.
function metricSignals(ev, settings) {
  if (ev.metric !== 'rmse') return [BigInt(ev.correct)];
  const t = settings.rmse_threshold ? BigInt(round(settings.rmse_threshold * 2 ** settings.scales.output)) : 0n;
  const sse = BigInt(ev.sse);
  return [sse, t, sse <= BigInt(ev.rows) * t * t ? 1n : 0n];
}

function checkEvaluation(poseidon, dir, settings, label, paramCommitment) {
  const ev = read(dir, 'evaluation.json'), pub = read(dir, 'evaluation.public.json');
  const rows = readCsv(path.join(dir, 'data.csv')).slice(0, ev.rows);
  const elems = [];
  for (const r of rows) {
    elems.push(...pack(r.x.map(x => round(x * 2 ** settings.scales.input)), settings.packing.input));
    elems.push(labelElement(r.label, settings, ev));
  }
  const want = [commitment(poseidon, elems), circuitHash(dir), BigInt(rows.length),
                ...metricSignals(ev, settings)];
  if (paramCommitment !== undefined) want.push(paramCommitment);
  if (pub.length !== want.length) fail(`${label}: ${pub.length} evaluation signals, expected ${want.length}`);
  want.forEach((v, i) => {
    if (BigInt(pub[i]) !== v) fail(`${label}: evaluation signal ${i} ${pub[i]}, recomputed ${v}`);
  });
  if (ev.dataset_commitment !== pub[0] || ev.circuit_hash !== pub[1])
    fail(`${label}: evaluation.json's commitment or circuit hash differs`);
  const args = f => ['groth16', 'verify', path.join(dir, 'evaluation.vk.json'), path.join(dir, f),
                     path.join(dir, 'evaluation.proof.json')];
  if (run(snarkjs, args('evaluation.public.json')).status !== 0)
    fail(`${label}: snarkjs rejected the evaluation proof`);
  const at = want.length - 1 - (paramCommitment !== undefined), bad = pub.slice(); // the count, or the boolean
  bad[at] = ev.metric === 'rmse' ? String(1n - BigInt(bad[at])) : (BigInt(bad[at]) + 1n).toString();
  fs.writeFileSync(path.join(dir, 'evaluation_bad.json'), JSON.stringify(bad));
  if (run(snarkjs, args('evaluation_bad.json')).status === 0)
    fail(`${label}: snarkjs accepted a changed signal ${at} (${ev.public_signals[at]})`);
  const figures = ev.metric === 'rmse'
    ? `RMSE ${ev.value.toFixed(4)}, float model ${ev.float_rmse.toFixed(4)}, threshold ` +
      `${ev.rmse_threshold}: within ${ev.within_threshold}`
    : `${ev.correct} correct, float model ${ev.float_correct}`;
  console.log(`${label}: evaluation of ${ev.rows} rows (${figures}) recomputed and verified; ` +
              `${ev.constraints_per_row.toFixed(0)} constraints per row`);
}

// The boolean flipped inside evaluation.wtns (wire 6, iden3's wtns layout:
// section 2 holds 32-byte little-endian values) fails snarkjs's wtns check.
function flippedBooleanWitness(dir, label) {
  const wtns = fs.readFileSync(path.join(dir, 'evaluation.wtns'));
  let off = 12;                         // magic, version, section count
  while (wtns.readUInt32LE(off) !== 2) off += 12 + Number(wtns.readBigUInt64LE(off + 4));
  const at = off + 12 + 6 * 32;
  wtns[at] ^= 1;                        // 0 <-> 1 (both below 2^8)
  const bad = path.join(dir, 'evaluation_bad.wtns');
  fs.writeFileSync(bad, wtns);
  const args = f => ['wtns', 'check', path.join(dir, 'evaluation.r1cs'), f];
  if (run(snarkjs, args(path.join(dir, 'evaluation.wtns'))).status !== 0)
    fail(`${label}: snarkjs wtns check refused the evaluation witness`);
  if (run(snarkjs, args(bad)).status === 0)
    fail(`${label}: snarkjs wtns check accepted the within-threshold bit flipped`);
}

// reg_sigmoid over reg_test.csv (its float target in the middle) with a
// threshold above and one below its RMSE.
function checkRegression(poseidon, work, threshold, want) {
  const dir = path.join(work, `reg_${threshold}`), label = `reg_sigmoid threshold ${threshold}`;
  const r = spawnSync(bin, ['run', path.join(fixtures, 'reg_sigmoid.onnx'), '--data',
                            path.join(fixtures, 'reg_test.csv'), '--out', dir,
                            '--rmse-threshold', String(threshold)],
                      { encoding: 'utf8', env: { ...process.env, ZKML_EVAL_ROWS: '20' } });
  if (r.status !== 0) return fail(`${label}: run exited ${r.status}: ${r.stderr}`);
  const settings = read(dir, 'settings.json'), ev = read(dir, 'evaluation.json');
  if (settings.rmse_threshold !== threshold || ev.metric !== 'rmse' || ev.within_threshold !== want)
    fail(`${label}: settings ${settings.rmse_threshold}, evaluation ${JSON.stringify(ev)}`);
  const rmse = Math.sqrt(ev.sse / ev.rows) / 2 ** settings.scales.output;
  if (Math.abs(rmse - ev.value) > 1e-12 || Math.abs(ev.value - ev.float_rmse) > 0.02)
    fail(`${label}: RMSE ${ev.value} (from SSE ${rmse}) against the float model's ${ev.float_rmse}`);
  checkEvaluation(poseidon, dir, settings, label);
  flippedBooleanWitness(dir, label);
}
const run = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' });

// Hashed outputs: verify opens their commitment with output.json, so an
// output.json that says otherwise fails verification (exit 1).
function tamperedOutputs(dir, label) {
  const file = path.join(dir, 'output.json'), saved = fs.readFileSync(file, 'utf8');
  const output = JSON.parse(saved);
  output.outputs[0] = (BigInt(output.outputs[0]) + 1n).toString();
  fs.writeFileSync(file, JSON.stringify(output));
  const r = run(bin, ['verify', '--dir', dir]);
  if (r.status !== 1 || !r.stderr.includes('commitment'))
    fail(`${label}: a changed output.json verified: exit ${r.status}, ${r.stderr}`);
  fs.writeFileSync(file, saved);
  if (run(bin, ['verify', '--dir', dir]).status !== 0) fail(`${label}: restored output.json fails`);
}

function check(poseidon, work, model, csv, inVis, outVis, evalRows) {
  const dir = path.join(work, `${model}_${inVis}_${outVis}`);
  const r = spawnSync(bin, ['run', path.join(fixtures, model + '.onnx'), '--data',
                            path.join(fixtures, csv + '.csv'), '--sample', '2', '--out', dir,
                            '--input-visibility', inVis, '--output-visibility', outVis],
                      { encoding: 'utf8', env: { ...process.env, ZKML_EVAL_ROWS: evalRows } });
  const label = `${model} input ${inVis} output ${outVis}`;
  if (r.status !== 0) return fail(`${label}: run exited ${r.status}: ${r.stderr}`);
  const settings = read(dir, 'settings.json'), input = read(dir, 'input.json');
  const output = read(dir, 'output.json'), pub = read(dir, 'public.json');
  const verify = read(dir, 'verify.json');
  if (settings.input_visibility !== inVis || settings.output_visibility !== outVis ||
      settings.param_visibility !== 'fixed')
    fail(`${label}: settings.json says ${settings.input_visibility} ${settings.output_visibility}`);
  const qi = input.input_data[0].map(x => round(x * 2 ** settings.scales.input));
  const qo = output.outputs.map(s => (BigInt(s) > R / 2n ? BigInt(s) - R : BigInt(s)));
  const want = [...shown(poseidon, 'output', qo, settings.packing.output, outVis),
                ...shown(poseidon, 'input', qi, settings.packing.input, inVis)];
  if (pub.length !== want.length)
    return fail(`${label}: ${pub.length} public signals, expected ${want.length}`);
  want.forEach(([name, v], i) => {
    if (BigInt(pub[i]) !== v) fail(`${label}: signal ${i} (${name}) ${pub[i]}, recomputed ${v}`);
    const named = (verify.public_signals || [])[i];
    if (!named || named.name !== name || named.value !== pub[i])
      fail(`${label}: verify.json names signal ${i} ${JSON.stringify(named)}, expected ${name}`);
  });
  const ok = run(snarkjs, ['groth16', 'verify', path.join(dir, 'verification_key.json'),
                           path.join(dir, 'public.json'), path.join(dir, 'proof.json')]);
  if (ok.status !== 0) fail(`${label}: snarkjs rejected the proof: ${ok.stdout}`);
  const at = want.findIndex(([name]) => name.endsWith('_commitment'));
  if (at >= 0) {
    const bad = pub.slice();
    bad[at] = ((BigInt(bad[at]) + 1n) % R).toString();
    fs.writeFileSync(path.join(dir, 'public_bad.json'), JSON.stringify(bad));
    const no = run(snarkjs, ['groth16', 'verify', path.join(dir, 'verification_key.json'),
                             path.join(dir, 'public_bad.json'), path.join(dir, 'proof.json')]);
    if (no.status === 0) fail(`${label}: snarkjs accepted a changed ${want[at][0]}`);
  }
  if (outVis === 'hashed') tamperedOutputs(dir, label);
  console.log(`${label}: ${want.length} public signal(s) recomputed with circomlibjs, ` +
              `snarkjs verified; ${read(dir, 'circuit.json').constraints} constraints`);
  checkEvaluation(poseidon, dir, settings, label);
}

// The parameter commitment of model.onnx under settings.json, as
// docs/COMMITMENTS.md defines it; checks settings.json's list of tensors
// and their minimal widths on the way.
function paramCommitment(poseidon, onnxFile, settings, label) {
  const params = parameters(fs.readFileSync(onnxFile), settings), listed = settings.packing.params;
  if (params.length !== listed.length) fail(`${label}: ${listed.length} parameter tensors listed, ${params.length} in the ONNX file`);
  const elems = [];
  params.forEach((p, t) => {
    const l = listed[t] || {};
    let bits = 1;
    while (p.values.some(q => q < -(1n << BigInt(bits - 1)) || q >= 1n << BigInt(bits - 1))) bits++;
    if (l.node !== p.node || l.kind !== p.kind || l.tensor !== p.tensor || l.count !== p.values.length ||
        l.bits !== bits || l.offset !== 2 ** (bits - 1))
      fail(`${label}: parameter tensor ${t} listed as ${JSON.stringify(l)}, recomputed ${p.node} ` +
           `${p.kind} ${p.tensor} ${p.values.length} values of ${bits} bits`);
    elems.push(...pack(p.values, l));
  });
  return commitment(poseidon, elems);
}

// A weight wire (the first parameter, right after the public signals) changed
// in witness.wtns: snarkjs's wtns check must fail (its range check and its
// products no longer hold).
function changedWeightWitness(dir, nPub, label) {
  const wtns = fs.readFileSync(path.join(dir, 'witness.wtns'));
  let off = 12;
  while (wtns.readUInt32LE(off) !== 2) off += 12 + Number(wtns.readBigUInt64LE(off + 4));
  wtns[off + 12 + (1 + nPub) * 32] ^= 2;
  const bad = path.join(dir, 'witness_bad.wtns');
  fs.writeFileSync(bad, wtns);
  const args = f => ['wtns', 'check', path.join(dir, 'network.r1cs'), f];
  if (run(snarkjs, args(path.join(dir, 'witness.wtns'))).status !== 0)
    fail(`${label}: snarkjs wtns check refused the witness`);
  if (run(snarkjs, args(bad)).status === 0)
    fail(`${label}: snarkjs wtns check accepted a changed weight`);
}

// param_visibility hashed: every public signal recomputed (the parameter
// commitment last, from the ONNX file), snarkjs's verdicts, the evaluation
// proof's commitment the same (csv: a fixture's name, or a path to a CSV
// without labels, which skips the evaluation). Returns the commitment.
function checkHashedParams(poseidon, work, onnxFile, csv, evalRows, label) {
  const dir = path.join(work, label.replace(/\W+/g, '_'));
  const csvFile = path.isAbsolute(csv) ? csv : path.join(fixtures, csv + '.csv');
  const r = spawnSync(bin, ['run', onnxFile, '--data', csvFile,
                            '--sample', '1', '--out', dir, '--param-visibility', 'hashed'],
                      { encoding: 'utf8', env: { ...process.env, ZKML_EVAL_ROWS: evalRows } });
  if (r.status !== 0) return fail(`${label}: run exited ${r.status}: ${r.stderr}`);
  const settings = read(dir, 'settings.json'), input = read(dir, 'input.json');
  const output = read(dir, 'output.json'), pub = read(dir, 'public.json');
  const verify = read(dir, 'verify.json'), circuit = read(dir, 'circuit.json');
  if (settings.param_visibility !== 'hashed') fail(`${label}: settings.json says ${settings.param_visibility}`);
  const pc = paramCommitment(poseidon, onnxFile, settings, label);
  const qi = input.input_data[0].map(x => round(x * 2 ** settings.scales.input));
  const qo = output.outputs.map(s => (BigInt(s) > R / 2n ? BigInt(s) - R : BigInt(s)));
  const want = [...shown(poseidon, 'output', qo, settings.packing.output, 'public'),
                ...shown(poseidon, 'input', qi, settings.packing.input, 'hashed'),
                ['param_commitment', pc]];
  if (pub.length !== want.length) return fail(`${label}: ${pub.length} public signals, expected ${want.length}`);
  want.forEach(([name, v], i) => {
    const named = (verify.public_signals || [])[i];
    if (BigInt(pub[i]) !== v) fail(`${label}: signal ${i} (${name}) ${pub[i]}, recomputed ${v}`);
    if (!named || named.name !== name || named.value !== pub[i])
      fail(`${label}: verify.json names signal ${i} ${JSON.stringify(named)}, expected ${name}`);
  });
  const vk = path.join(dir, 'verification_key.json'), proof = path.join(dir, 'proof.json');
  if (run(snarkjs, ['groth16', 'verify', vk, path.join(dir, 'public.json'), proof]).status !== 0)
    fail(`${label}: snarkjs rejected the proof`);
  const bad = pub.slice();
  bad[bad.length - 1] = ((BigInt(bad[bad.length - 1]) + 1n) % R).toString();
  fs.writeFileSync(path.join(dir, 'public_bad.json'), JSON.stringify(bad));
  if (run(snarkjs, ['groth16', 'verify', vk, path.join(dir, 'public_bad.json'), proof]).status === 0)
    fail(`${label}: snarkjs accepted a changed parameter commitment`);
  changedWeightWitness(dir, pub.length, label);
  if (!path.isAbsolute(csv)) {
    const ev = read(dir, 'evaluation.json');
    if (ev.param_commitment !== pub[pub.length - 1])
      fail(`${label}: evaluation.json's param_commitment ${ev.param_commitment}, the proof's ${pub[pub.length - 1]}`);
    checkEvaluation(poseidon, dir, settings, label, pc);
  }
  const cost = circuit.params.layers.map(l => `${l.node} ${l.constraints}`).join(', ');
  console.log(`${label}: parameter commitment recomputed from the ONNX file (${circuit.params.count} ` +
              `parameters, ${circuit.params.elements} elements), snarkjs verified; ` +
              `${circuit.constraints} constraints (per layer: ${cost}; commitment ` +
              `${circuit.params.commitment_constraints})`);
  return pc;
}

// The first weight of iris_mlp's first Gemm changed in the ONNX file: another
// commitment (recomputed from the changed file by checkHashedParams).
function changedWeightModel(poseidon, work, before) {
  const file = path.join(fixtures, 'iris_mlp.onnx'), bytes = fs.readFileSync(file);
  const w = readOnnx(bytes).inits.W0, was = Buffer.alloc(4), now = Buffer.alloc(4);
  was.writeFloatLE(w.data[0]);
  now.writeFloatLE(w.data[0] + 0.5);
  const pos = bytes.indexOf(was);
  if (pos < 0 || bytes.indexOf(was, pos + 1) >= 0) return fail('changed weight: W0[0] is not unique in the file');
  now.copy(bytes, pos);
  const changed = path.join(work, 'iris_mlp_changed.onnx');
  fs.writeFileSync(changed, bytes);
  const after = checkHashedParams(poseidon, work, changed, 'iris_test', '5', 'iris_mlp W0[0] + 0.5');
  if (after === undefined || after === before) fail(`changed weight: the commitment stayed ${before}`);
}

// No label column: the inference proof is made, the evaluation skipped saying why.
function skippedWithoutLabels(work) {
  const dir = path.join(work, 'nolabel'), csv = path.join(work, 'nolabel.csv');
  fs.writeFileSync(csv, 'a,b,c,d\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n');
  const r = run(bin, ['run', path.join(fixtures, 'iris_mlp.onnx'), '--data', csv, '--out', dir]);
  if (r.status !== 0 || !/evaluate .*skipped: data.csv has no label column/.test(r.stdout) ||
      fs.existsSync(path.join(dir, 'evaluation.json')) || !fs.existsSync(path.join(dir, 'proof.json')))
    fail(`no labels: exit ${r.status}, ${r.stdout} ${r.stderr}`);
}

function refused(work, flag, word, needle) {
  const r = run(bin, ['settings', '--dir', work, flag, word]);
  if (r.status !== 2 || !r.stderr.includes(needle))
    fail(`${flag} ${word}: exit ${r.status}, stderr ${r.stderr}`);
}

function defaultSuite(poseidon, work) {
  check(poseidon, work, 'iris_mlp', 'iris_test', 'hashed', 'public', '256');
  check(poseidon, work, 'iris_mlp', 'iris_test', 'public', 'hashed', '5');
  check(poseidon, work, 'iris_mlp', 'iris_test', 'private', 'hashed', '5');
  check(poseidon, work, 'mlp784', 'mlp784_test', 'hashed', 'hashed', '3');
  checkRegression(poseidon, work, 0.5, true);
  checkRegression(poseidon, work, 0.001, false);
  skippedWithoutLabels(work);
  refused(work, '--param-visibility', 'secret', 'fixed or hashed');
  refused(work, '--input-visibility', 'secret', 'public, hashed or private');
  refused(work, '--output-visibility', 'private', 'public or hashed');
}

// iris_mlp (Gemm) and digits_cnn (Conv, a kernel shared by every position):
// mlp784's 410k-constraint circuit with hashed parameters (2^19) is measured
// in bench/RESULTS.md, not here, for the time its setup takes.
function hashedParamsSuite(poseidon, work) {
  const iris = checkHashedParams(poseidon, work, path.join(fixtures, 'iris_mlp.onnx'), 'iris_test',
                                 '45', 'iris_mlp params hashed');
  changedWeightModel(poseidon, work, iris);
  checkHashedParams(poseidon, work, path.join(fixtures, 'digits_cnn.onnx'), 'digits_test', '5',
                    'digits_cnn params hashed');
}

(async () => {
  const poseidon = await buildPoseidon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml_commit_'));
  try {
    if (suite === 'params') hashedParamsSuite(poseidon, work);
    else defaultSuite(poseidon, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(failures ? `${failures} failure(s)` : 'all commitments recomputed');
  process.exit(failures ? 1 : 0);
})();
