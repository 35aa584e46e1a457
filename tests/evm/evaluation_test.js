// evaluation_test.js - ModelRegistry's evaluations against a real anvil, with
// evaluation proofs made by our pipeline (eval_fixtures/, made by
// make_eval_fixtures.sh): the honest record checked field by field (against
// the proof's public signals, evaluation.json, anvil's keccak and CREATE2
// address), then every attack: a forged proof, changed dataset commitment,
// row count or correct count, another evaluation's key, version A's
// evaluation for version B (also with B's circuit hash written in), another
// account, a second evaluation, another layout; none leaves a trace. Then
// bestVersion among six versions on two datasets, recorded in an order that
// exercises every rule (better, worse, tie to the lower version), against
// the ordering computed here from the proofs' signals. Then hashed
// parameters (recordHashedEvaluation): an evaluation whose parameter
// commitment is the version's inference proof's is recorded (5 and 7
// signals); one of other parameters, inference signals that are not the
// version's, and every layout mismatch are refused.
//
// Usage: node evaluation_test.js EVM_TOOL EVAL_FIXTURES INFERENCE_FIXTURE
'use strict';
const fs = require('fs');
const path = require('path');
const assert = require('assert/strict');
const { word, stringTail, encodeArgs, words, decodeString, tool, runOnChain, revertsWith } = require('./chain.js');

const [toolPath, fixtures, inference] = process.argv.slice(2);
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const REGISTER = 'registerVersion(string,bytes32,bytes32,bytes32,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[])';
const RECORD = 'recordEvaluation(string,uint256,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[])';
const RECORD_HASHED = 'recordHashedEvaluation(string,uint256,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[],uint256[])';
const RECORDED = 'EvaluationRecorded(string,uint256,bytes32,uint8,uint256,uint256,uint256,bool,bytes32,address)';
const BEST = 'BestVersionChanged(string,bytes32,uint256)';
let checks = 0;

function check(cond, what) {
  checks++;
  assert.ok(cond, what);
}

const hexWords = (ws) => ws.map(word).join('');
const FIELDS = ['datasetCommitment', 'vkHash', 'verifier', 'timestamp', 'rows', 'value', 'threshold', 'kind',
                'withinThreshold'];
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));
const same = (a, b) => FIELDS.every((k) => a[k] === b[k]);

// A fixture's key and proof as words, its signals, circuit hash and
// evaluation.json; with both proofs, the inference one as `inference`.
function load(dir) {
  const file = (f) => path.join(dir, f);
  const key = tool(toolPath, 'key-words', file(fs.existsSync(file('evaluation.vk.json')) ? 'evaluation.vk.json' : 'verification_key.json'));
  const ws = fs.existsSync(file('evaluation.proof.json'))
    ? tool(toolPath, 'words', file('evaluation.proof.json'), file('evaluation.public.json'))
    : tool(toolPath, 'words', file('proof.json'), file('public.json'));
  const out = { dir, key: key.split('\n').map((h) => BigInt('0x' + h)), words: ws.split('\n').map((h) => BigInt('0x' + h)) };
  out.pub = out.words.slice(8);
  if (fs.existsSync(file('circuit_sha256'))) {
    out.circuitHash = BigInt('0x' + fs.readFileSync(file('circuit_sha256'), 'utf8').trim());
    out.ev = JSON.parse(fs.readFileSync(file('evaluation.json'), 'utf8'));
    out.creation = '0x' + tool(toolPath, 'verifier-code', file('evaluation.vk.json'));
  }
  if (fs.existsSync(file('evaluation.proof.json')) && fs.existsSync(file('proof.json'))) {
    const iw = tool(toolPath, 'words', file('proof.json'), file('public.json')).split('\n').map((h) => BigInt('0x' + h));
    out.inference = { key: tool(toolPath, 'key-words', file('verification_key.json')).split('\n').map((h) => BigInt('0x' + h)),
                      words: iw, pub: iw.slice(8) };
  }
  return out;
}

const fx = {};
for (const name of ['iris_linear_d1', 'iris_mlp_d1', 'iris_linear_d2', 'iris_mlp_d2', 'reg_sigmoid', 'reg_weaker',
                    'iris_linear_hashed_d1', 'iris_mlp_hashed_d1', 'reg_sigmoid_hashed'])
  fx[name] = load(path.join(fixtures, name));
const proofOf = load(inference); // any inference proof: the registry relates it to nothing but its key

let modelCounter = 0x1000n;
// Registers a version claiming f's circuit hash with inference proof `inf`.
async function register(chain, from, registry, task, f, inf = proofOf) {
  const staticWords = (arr) => ({ static: hexWords(arr) });
  const data = (await chain.selector(REGISTER)) + encodeArgs([
    { dynamic: stringTail(task) }, { static: word(++modelCounter) }, { static: word(f.circuitHash) },
    { static: word(0x5e) }, { dynamic: word(inf.key.length) + hexWords(inf.key) },
    staticWords(inf.words.slice(0, 2)), staticWords(inf.words.slice(2, 6)), staticWords(inf.words.slice(6, 8)),
    { dynamic: word(inf.pub.length) + hexWords(inf.pub) },
  ]);
  await chain.send(from, registry, data);
}

// recordEvaluation's calldata for fixture f; over replaces the key, proof words or signals;
// with over.versionSignals, recordHashedEvaluation's.
async function recordData(chain, task, version, f, over = {}) {
  const ws = over.words || f.words;
  const key = over.key || f.key;
  const pub = over.pub || ws.slice(8);
  const vs = over.versionSignals;
  const staticWords = (arr) => ({ static: hexWords(arr) });
  return (await chain.selector(vs ? RECORD_HASHED : RECORD)) + encodeArgs([
    { dynamic: stringTail(task) }, { static: word(version) }, { dynamic: word(key.length) + hexWords(key) },
    staticWords(ws.slice(0, 2)), staticWords(ws.slice(2, 6)), staticWords(ws.slice(6, 8)),
    { dynamic: word(pub.length) + hexWords(pub) },
    ...(vs ? [{ dynamic: word(vs.length) + hexWords(vs) }] : []),
  ]);
}

async function callFn(chain, to, sig, args) {
  return chain.call(to, (await chain.selector(sig)) + encodeArgs(args));
}

function decodeEvaluation(hex, i = 0) {
  const w = words(hex);
  return { datasetCommitment: w[i], vkHash: w[i + 1], verifier: w[i + 2], timestamp: w[i + 3], rows: w[i + 4],
           value: w[i + 5], threshold: w[i + 6], kind: w[i + 7], withinThreshold: w[i + 8] };
}

async function evaluationOf(chain, registry, task, version) {
  const r = await callFn(chain, registry, 'getEvaluation(string,uint256)', [{ dynamic: stringTail(task) }, { static: word(version) }]);
  check(r.ok, `getEvaluation(${task}, ${version}): ${JSON.stringify(r)}`);
  return decodeEvaluation(r.data);
}

async function best(chain, registry, task, commitment) {
  const r = await callFn(chain, registry, 'bestVersion(string,bytes32)', [{ dynamic: stringTail(task) }, { static: word(commitment) }]);
  check(r.ok, `bestVersion: ${JSON.stringify(r)}`);
  return { version: words(r.data)[0], e: decodeEvaluation(r.data, 1) };
}

const expectRevert = (...args) => revertsWith(check, ...args);

// What the registry must record for fixture f: computed here from the
// signals, evaluation.json and anvil (keccak, CREATE2).
async function expected(chain, registry, f) {
  const initHash = await chain.keccak(f.creation);
  const create2 = await chain.keccak('0xff' + registry.slice(2).toLowerCase() + word(0) + initHash.slice(2));
  const regression = f.ev.metric === 'rmse';
  const want = {
    datasetCommitment: BigInt(f.ev.dataset_commitment), vkHash: BigInt(await chain.keccak('0x' + hexWords(f.key))),
    verifier: BigInt('0x' + create2.slice(26)), rows: BigInt(f.ev.rows),
    value: BigInt(regression ? f.ev.sse : f.ev.correct), threshold: regression ? BigInt(f.ev.threshold) : 0n,
    kind: regression ? 2n : 1n, withinThreshold: regression && f.ev.within_threshold ? 1n : 0n,
  };
  // evaluation.json agrees with the proof's signals, and names the circuit
  // (and with hashed parameters their commitment, the inference proof's last signal).
  const pub = f.pub;
  const hashed = f.ev.param_commitment !== undefined;
  check(pub[0] === want.datasetCommitment && pub[1] === f.circuitHash % R && pub[2] === want.rows &&
        pub[3] === want.value && (!regression || (pub[4] === want.threshold && pub[5] === want.withinThreshold)) &&
        pub.length === (regression ? 6 : 4) + (hashed ? 1 : 0) && f.ev.circuit_hash === String(f.circuitHash % R) &&
        (!hashed || (pub[pub.length - 1] === BigInt(f.ev.param_commitment) &&
                     f.inference.pub[f.inference.pub.length - 1] === BigInt(f.ev.param_commitment))),
        `${f.dir}: evaluation.json ${show(f.ev)} vs signals ${show(pub)}`);
  return want;
}

// The honest flow for fixture f: every field recorded and emitted (with
// hashed parameters, the version registered with f's own inference proof).
async function testHonest(chain, registry, task, f) {
  const owner = chain.accounts[0];
  const hashed = f.ev.param_commitment !== undefined;
  await register(chain, owner, registry, task, f, hashed ? f.inference : proofOf);
  const over = hashed ? { versionSignals: f.inference.pub } : {};
  const receipt = await chain.send(owner, registry, await recordData(chain, task, 1, f, over));
  const block = await chain.rpc('eth_getBlockByNumber', [receipt.blockNumber, false]);
  const want = { ...(await expected(chain, registry, f)), timestamp: BigInt(block.timestamp) };
  const got = await evaluationOf(chain, registry, task, 1);
  check(same(got, want), `getEvaluation: ${show(got)}, expected ${show(want)}`);
  const code = await chain.rpc('eth_getCode', ['0x' + word(got.verifier).slice(24), 'latest']);
  const direct = await chain.deploy(owner, f.creation);
  check(code === await chain.rpc('eth_getCode', [direct.address, 'latest']),
        'the evaluation verifier is the keyed verifier of the evaluation key, byte for byte');

  const [ev, bestEv] = receipt.logs;
  const d = words(ev.data);
  check(receipt.logs.length === 2 && ev.topics[0] === await chain.keccak('0x' + Buffer.from(RECORDED).toString('hex')) &&
        BigInt(ev.topics[1]) === 1n && BigInt(ev.topics[2]) === want.datasetCommitment &&
        decodeString(ev.data, Number(d[0])) === task && d[1] === want.kind && d[2] === want.rows &&
        d[3] === want.value && d[4] === want.threshold && d[5] === want.withinThreshold &&
        d[6] === want.vkHash && d[7] === want.verifier, `EvaluationRecorded: ${show(d)}`);
  check(bestEv.topics[0] === await chain.keccak('0x' + Buffer.from(BEST).toString('hex')) &&
        BigInt(bestEv.topics[1]) === want.datasetCommitment && BigInt(bestEv.topics[2]) === 1n,
        'BestVersionChanged to version 1');
  const b = await best(chain, registry, task, want.datasetCommitment);
  check(b.version === 1n && same(b.e, want), `bestVersion: ${show(b)}`);
  console.log(`honest ${f.ev.metric} evaluation of ${f.ev.rows} rows${hashed ? ', hashed parameters' : ''}: every field recorded and emitted, ` +
              `${BigInt(receipt.gasUsed)} gas`);
  return want;
}

// Every way to attach what the proofs do not say is refused, and leaves no trace.
async function testAttacks(chain, registry, task, honest) {
  const [owner, other] = chain.accounts;
  const L = fx.iris_linear_d1, M = fx.iris_mlp_d1;
  await register(chain, owner, registry, task, M); // version 2: the MLP
  const changed = (i, v) => { const pub = L.pub.slice(); pub[i] = v; return { pub }; };
  const forged = L.words.slice();
  forged[0] += 1n;
  const attempts = [
    [owner, 2, L, {}, 'EvaluationOfAnotherCircuit(string,uint256,uint256)', 'version 1\'s evaluation for version 2'],
    [owner, 2, L, changed(1, M.circuitHash % R), 'ProofRejected(string,bytes32)', 'version 1\'s evaluation with version 2\'s circuit hash written in'],
    [owner, 2, M, { words: M.words.map((w, i) => (i === 6 ? w + 1n : w)) }, 'ProofRejected(string,bytes32)', 'a forged proof (C.x + 1)'],
    [owner, 2, M, { words: forged.slice(0, 8).concat(M.pub) }, 'ProofRejected(string,bytes32)', 'version 1\'s proof points with version 2\'s signals'],
    [owner, 2, M, { key: L.key }, 'ProofRejected(string,bytes32)', 'version 2\'s proof under version 1\'s evaluation key'],
    [owner, 2, M, { pub: M.pub.map((v, i) => (i === 0 ? honest.datasetCommitment + 1n : v)) }, 'ProofRejected(string,bytes32)', 'a wrong dataset commitment'],
    [owner, 2, M, { pub: M.pub.map((v, i) => (i === 2 ? v + 1n : v)) }, 'ProofRejected(string,bytes32)', 'a wrong row count'],
    [owner, 2, M, { pub: M.pub.map((v, i) => (i === 3 ? v - 1n : v)) }, 'ProofRejected(string,bytes32)', 'a wrong correct count'],
    [owner, 2, M, { pub: M.pub.map((v, i) => (i === 3 ? M.pub[2] + 1n : v)) }, 'EvaluationOutOfRange(uint256)', 'more correct rows than rows'],
    [owner, 2, M, { pub: M.pub.slice(0, 3) }, 'EvaluationLayout(uint256)', 'three signals'],
    [owner, 2, M, { pub: [...M.pub, 0n] }, 'EvaluationLayout(uint256)', 'five signals'],
    [owner, 2, M, { key: fx.reg_sigmoid.key }, 'KeyLengthMismatch(uint256,uint256)', 'a key for six signals'],
    [other, 2, M, {}, 'NotTaskOwner(string,address,address)', 'another account'],
    [owner, 3, M, {}, 'UnknownVersion(string,uint256)', 'a version that does not exist'],
    [owner, 0, M, {}, 'UnknownVersion(string,uint256)', 'version 0'],
    [owner, 1, L, {}, 'EvaluationExists(string,uint256)', 'a second evaluation of version 1'],
  ];
  for (const [from, version, f, over, error, what] of attempts)
    await expectRevert(chain, from, registry, await recordData(chain, task, version, f, over), error, what);
  check((await evaluationOf(chain, registry, task, 2)).kind === 0n, 'a refused evaluation left a record');
  const b = await best(chain, registry, task, honest.datasetCommitment);
  check(b.version === 1n, `a refused evaluation moved bestVersion: ${show(b)}`);
  await chain.send(owner, registry, await recordData(chain, task, 2, M));
  check((await evaluationOf(chain, registry, task, 2)).kind === 1n, 'version 2\'s own evaluation is recorded');
  console.log(`attacks: ${attempts.length} refused with their reasons, nothing recorded; the honest one then accepted`);
}

// The ordering computed here from the signals: higher correct / rows wins a
// classification, lower SSE / rows a regression, equal goes to the lower version.
function leader(recorded) {
  let top = null;
  for (const r of recorded) {
    if (!top) { top = r; continue; }
    const a = r.f.pub[3] * top.f.pub[2], b = top.f.pub[3] * r.f.pub[2];
    const better = r.f.ev.metric === 'rmse' ? a < b : a > b;
    if (better || (a === b && r.version < top.version)) top = r;
  }
  return top.version;
}

// Registers versions (fixtures, numbered from 1) in a new task and records
// their evaluations in `order`, checking bestVersion and its event after each
// against leader(). Returns what it saw, as "version->best".
async function recordInOrder(chain, registry, task, versions, order) {
  const owner = chain.accounts[0];
  for (const f of versions) await register(chain, owner, registry, task, f);
  const recorded = [];
  const wants = [];
  for (const v of order) {
    const f = versions[v - 1];
    const d = f.pub[0];
    const before = await best(chain, registry, task, d);
    const receipt = await chain.send(owner, registry, await recordData(chain, task, v, f));
    recorded.push({ version: BigInt(v), f });
    const want = BigInt(leader(recorded.filter((r) => r.f.pub[0] === d)));
    const got = await best(chain, registry, task, d);
    const changedTo = receipt.logs.length === 2 ? BigInt(receipt.logs[1].topics[2]) : null;
    check(got.version === want && got.e.value === versions[Number(want) - 1].pub[3] &&
          changedTo === (want !== before.version ? want : null),
          `after version ${v}: bestVersion ${got.version}, expected ${want}; BestVersionChanged ${changedTo}`);
    wants.push(`${v}->${want}`);
  }
  return wants.join(' ');
}

async function testBestVersion(chain, registry) {
  const task = 'board';
  const L1 = fx.iris_linear_d1, M1 = fx.iris_mlp_d1, L2 = fx.iris_linear_d2, M2 = fx.iris_mlp_d2;
  const d1 = L1.pub[0], d2 = L2.pub[0];
  check(d1 === M1.pub[0] && d2 === M2.pub[0] && d1 !== d2, 'two datasets, each evaluated by both models');
  // The fixtures' rows rank the models differently (make_eval_fixtures.sh).
  check(M1.pub[3] > L1.pub[3] && L2.pub[3] > M2.pub[3],
        `fixtures: d1 linear ${L1.pub[3]} mlp ${M1.pub[3]}, d2 linear ${L2.pub[3]} mlp ${M2.pub[3]}`);
  // versions 1..6; recorded first, worse, first, better, tie to a lower version, worse
  const seen = await recordInOrder(chain, registry, task, [L1, M1, L2, M2, L1, L2], [2, 1, 4, 6, 3, 5]);
  check((await best(chain, registry, task, d1)).version === 2n && (await best(chain, registry, task, d2)).version === 3n,
        'the MLP leads d1, the first linear version d2');
  const none = await best(chain, registry, task, d1 + 1n);
  check(none.version === 0n && none.e.kind === 0n, 'bestVersion of a dataset nobody evaluated is 0');
  console.log(`bestVersion over 6 versions on 2 datasets, recorded as ${seen} (version -> best)`);
  // A regression: lower SSE per row leads. reg_weaker is worse on the same rows.
  const S = fx.reg_sigmoid, W = fx.reg_weaker;
  check(S.pub[0] === W.pub[0] && W.pub[3] > S.pub[3] && S.pub[2] === W.pub[2],
        `fixtures: SSE ${S.pub[3]} and ${W.pub[3]} on one dataset`);
  // versions 1..3; recorded first, better (lower SSE), tie to a lower version
  const reg = await recordInOrder(chain, registry, 'regboard', [W, S, S], [1, 3, 2]);
  check((await best(chain, registry, 'regboard', S.pub[0])).version === 2n, 'the lower SSE leads');
  console.log(`bestVersion of a regression (SSE ${S.pub[3]} vs ${W.pub[3]}), recorded as ${reg}`);
}

// Hashed parameters: the evaluation's last signal must be the last of the
// version's inference signals, which must be the version's (signalsHash).
// Version 1 is the hashed linear model; version 2 claims the same circuit
// hash with the hashed MLP's inference proof (other parameters, one circuit).
async function testHashedAttacks(chain, registry, task) {
  const [owner, other] = chain.accounts;
  const H = fx.iris_linear_hashed_d1, M = fx.iris_mlp_hashed_d1, G = fx.reg_sigmoid_hashed;
  const hp = H.inference.pub, mp = M.inference.pub;
  check(hp[hp.length - 1] !== mp[mp.length - 1] && H.pub.length === 5 && G.pub.length === 7,
        'fixtures: two parameter commitments, 5- and 7-signal evaluations');
  await register(chain, owner, registry, task, H, H.inference); // version 1
  await register(chain, owner, registry, task, H, M.inference); // version 2
  const last = (a, v) => a.slice(0, -1).concat([v]);
  const attempts = [
    [owner, 2, H, { versionSignals: mp }, 'EvaluationOfOtherParameters(string,uint256,uint256)', 'version 1\'s evaluation for version 2 (other parameters, same circuit)'],
    [owner, 2, H, { versionSignals: hp }, 'NotTheVersionSignals(string,uint256)', 'version 1\'s inference signals passed off as version 2\'s'],
    [owner, 1, H, { versionSignals: last(hp, hp[hp.length - 1] + 1n) }, 'NotTheVersionSignals(string,uint256)', 'inference signals with a changed parameter commitment'],
    [owner, 1, H, { versionSignals: hp.slice(0, -1) }, 'NotTheVersionSignals(string,uint256)', 'inference signals without their last'],
    [owner, 1, H, { versionSignals: [] }, 'NotTheVersionSignals(string,uint256)', 'no inference signals'],
    [owner, 2, H, { versionSignals: mp, pub: last(H.pub, mp[mp.length - 1]) }, 'ProofRejected(string,bytes32)', 'version 2\'s parameter commitment written into version 1\'s evaluation'],
    [owner, 1, H, {}, 'EvaluationLayout(uint256)', 'a 5-signal evaluation through recordEvaluation'],
    [owner, 1, G, {}, 'EvaluationLayout(uint256)', 'a 7-signal evaluation through recordEvaluation'],
    [owner, 1, H, { pub: H.pub.slice(0, 4) }, 'KeyLengthMismatch(uint256,uint256)', 'the evaluation without its parameter commitment'],
    [owner, 1, fx.iris_linear_d1, { versionSignals: hp }, 'EvaluationLayout(uint256)', 'a 4-signal evaluation through recordHashedEvaluation'],
    [owner, 1, fx.reg_sigmoid, { versionSignals: hp }, 'EvaluationLayout(uint256)', 'a 6-signal evaluation through recordHashedEvaluation'],
    [owner, 1, H, { versionSignals: hp, pub: [...H.pub, 0n] }, 'EvaluationLayout(uint256)', 'six signals through recordHashedEvaluation'],
    [owner, 1, H, { versionSignals: hp, pub: H.pub.slice(0, 4) }, 'EvaluationLayout(uint256)', 'four signals through recordHashedEvaluation'],
    [other, 1, H, { versionSignals: hp }, 'NotTaskOwner(string,address,address)', 'another account'],
    [owner, 3, H, { versionSignals: hp }, 'UnknownVersion(string,uint256)', 'a version that does not exist'],
  ];
  for (const [from, version, f, over, error, what] of attempts)
    await expectRevert(chain, from, registry, await recordData(chain, task, version, f, over), error, what);
  for (const v of [1, 2])
    check((await evaluationOf(chain, registry, task, v)).kind === 0n, `a refused evaluation left a record on version ${v}`);
  const receipt = await chain.send(owner, registry, await recordData(chain, task, 1, H, { versionSignals: hp }));
  check((await evaluationOf(chain, registry, task, 1)).kind === 1n && (await best(chain, registry, task, H.pub[0])).version === 1n,
        'version 1\'s own evaluation is recorded and leads');
  await expectRevert(chain, owner, registry, await recordData(chain, task, 1, H, { versionSignals: hp }),
                     'EvaluationExists(string,uint256)', 'a second evaluation of version 1');
  console.log(`hashed-parameter attacks: ${attempts.length} refused with their reasons, nothing recorded; ` +
              `the honest one then accepted (${BigInt(receipt.gasUsed)} gas, verifier deployed before)`);
}

runOnChain('evm_evaluation', async (chain) => {
  const registry = (await chain.deploy(chain.accounts[0], '0x' + tool(toolPath, 'registry-code'))).address;
  const honest = await testHonest(chain, registry, 'iris', fx.iris_linear_d1);
  await testHonest(chain, registry, 'reg', fx.reg_sigmoid);
  await testAttacks(chain, registry, 'iris', honest);
  await testHonest(chain, registry, 'hashed', fx.iris_linear_hashed_d1);
  await testHonest(chain, registry, 'reghashed', fx.reg_sigmoid_hashed);
  await testHashedAttacks(chain, registry, 'hashattack');
  await testBestVersion(chain, registry);
}, () => checks);
