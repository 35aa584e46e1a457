// gas_bench.js - the on-chain cost of our verifiers (a benchmark, not a test).
//
// For each fixture (an artifact directory with verification_key.json,
// proof.json and public.json; by default tests/evm/fixtures/*, made by
// snarkjs), on a fresh anvil: the exported Verifier.sol (compiled by solcjs)
// and the keyed verifier deployed without a compiler, each with its runtime
// size, deployment gas and verifyProof gas (gasUsed of a transaction calling
// it, 21,000 intrinsic and calldata included, the call checked to return true), then
// ModelRegistry.registerVersion's gas for a new task (the registry deploying the
// verifier from the key), the same key again, and verifyProof on the verifier the
// registry deployed.
// Then, for each evaluation fixture (tests/evm/eval_fixtures/*), a version
// registered with its circuit hash and its evaluation recorded: the
// recordEvaluation gas (recordHashedEvaluation with hashed parameters) with
// the evaluation verifier deployed from its key, the same key again, and
// registration + evaluation together (with the fixture's own inference
// proof when it has one).
// Prints the tables and appends them to bench/RESULTS.md with the commit.
//
// Usage: node bench/gas/gas_bench.js BUILD_DIR [ARTIFACT_DIR ...]
// Targets (issue 10): registering a 1-signal version, verifier deployment
// included, <= 800k; verifyProof on the deployed verifier <= 230k.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { Chain, word, stringTail, encodeArgs, tool, solc, ROOT } =
  require(path.join(__dirname, '..', '..', 'tests', 'evm', 'chain.js'));

const TRUE = '0x' + word(1);

async function verifyGas(chain, from, to, data) {
  const receipt = await chain.send(from, to, data);
  const gas = BigInt(receipt.gasUsed);
  // The transaction's answer is not in its receipt: ask eth_call with the same gas limit.
  const answer = await chain.call(to, data, { from, gas: '0x1c9c380' });
  if (answer.data !== TRUE) throw new Error(`verifyProof at ${to} did not return true`);
  return gas;
}

async function runtimeSize(chain, address) {
  return ((await chain.rpc('eth_getCode', [address, 'latest'])).length - 2) / 2;
}

// registerVersion's calldata: the key and proof of an artifact directory.
async function registerData(chain, evmTool, dir, task, modelHash, circuitHash = 0xc1) {
  const key = tool(evmTool, 'key-words', path.join(dir, 'verification_key.json')).split('\n');
  const ws = tool(evmTool, 'words', path.join(dir, 'proof.json'), path.join(dir, 'public.json')).split('\n');
  const sig = 'registerVersion(string,bytes32,bytes32,bytes32,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[])';
  // a, b, c are consecutive static words, so one static entry of 8 words encodes all three.
  return (await chain.selector(sig)) + encodeArgs([
    { dynamic: stringTail(task) }, { static: word(modelHash) }, { static: word(circuitHash) }, { static: word(0x5e) },
    { dynamic: word(key.length) + key.join('') },
    { static: ws.slice(0, 8).join('') }, { dynamic: word(ws.length - 8) + ws.slice(8).join('') },
  ]);
}

async function benchFixture(chain, evmTool, registry, src, work, index) {
  const name = path.basename(src);
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['verification_key.json', 'proof.json', 'public.json'])
    fs.copyFileSync(path.join(src, f), path.join(dir, f));
  tool(evmTool, 'export', dir);
  const calldata = JSON.parse(fs.readFileSync(path.join(dir, 'calldata.json')));
  const n = JSON.parse(fs.readFileSync(path.join(dir, 'public.json'))).length;
  const from = chain.accounts[0];
  const rows = [];
  const compiled = solc(path.join(dir, 'Verifier.sol'), path.join(dir, 'solc.json')).Groth16Verifier;
  const keyedCode = '0x' + tool(evmTool, 'verifier-code', path.join(dir, 'verification_key.json'));
  for (const [kind, code] of [['Verifier.sol', compiled.bytecode], ['keyed (no solc)', keyedCode]]) {
    const d = await chain.deploy(from, code);
    rows.push({ name, n, kind, size: await runtimeSize(chain, d.address), deployGas: d.gasUsed,
                verifyGas: await verifyGas(chain, from, d.address, calldata.hex) });
  }
  // registerVersion as the register step sends it: a new task and model hash
  // (every row pays the same storage), the registry deploying the verifier;
  // then a second version with the same key, whose verifier is reused.
  const first = await chain.send(from, registry, await registerData(chain, evmTool, dir, 'bench_' + name, 0x1000 + index));
  const again = await chain.send(from, registry, await registerData(chain, evmTool, dir, 'bench_' + name, 0x2000 + index));
  const log = first.logs[first.logs.length - 1];
  const verifier = '0x' + log.data.slice(2 + 64 * 4 + 24, 2 + 64 * 5); // VersionRegistered's 5th data word
  rows.push({ name, n, kind: 'deployed by ModelRegistry', size: await runtimeSize(chain, verifier),
              deployGas: null, verifyGas: await verifyGas(chain, from, verifier, calldata.hex),
              registerGas: BigInt(first.gasUsed), reuseGas: BigInt(again.gasUsed) });
  return rows;
}

// recordEvaluation's calldata for an evaluation fixture; for one with hashed
// parameters (5 or 7 signals) recordHashedEvaluation's, with the inference
// proof's signals (its own proof.json).
async function recordData(chain, evmTool, dir, task, version) {
  const key = tool(evmTool, 'key-words', path.join(dir, 'evaluation.vk.json')).split('\n');
  const ws = tool(evmTool, 'words', path.join(dir, 'evaluation.proof.json'), path.join(dir, 'evaluation.public.json')).split('\n');
  const hashed = ws.length - 8 === 5 || ws.length - 8 === 7;
  const vs = hashed ? tool(evmTool, 'words', path.join(dir, 'proof.json'), path.join(dir, 'public.json')).split('\n').slice(8) : [];
  const sig = hashed
    ? 'recordHashedEvaluation(string,uint256,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[],uint256[])'
    : 'recordEvaluation(string,uint256,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[])';
  return (await chain.selector(sig)) + encodeArgs([
    { dynamic: stringTail(task) }, { static: word(version) }, { dynamic: word(key.length) + key.join('') },
    { static: ws.slice(0, 8).join('') }, { dynamic: word(ws.length - 8) + ws.slice(8).join('') },
    ...(hashed ? [{ dynamic: word(vs.length) + vs.join('') }] : []),
  ]);
}

// A version per evaluation fixture (the inference proof of fixtures/n1 unless
// the fixture has its own), its evaluation recorded; then a second version of
// the same circuit whose evaluation reuses the verifier.
async function benchEvaluation(chain, evmTool, registry, dir, index) {
  const from = chain.accounts[0];
  const name = path.basename(dir);
  const own = fs.existsSync(path.join(dir, 'proof.json'));
  const proofDir = own ? dir : path.join(ROOT, 'tests', 'evm', 'fixtures', 'n1');
  const circuit = BigInt('0x' + fs.readFileSync(path.join(dir, 'circuit_sha256'), 'utf8').trim());
  const task = 'bench_eval_' + name;
  const reg = await chain.send(from, registry, await registerData(chain, evmTool, proofDir, task, 0x3000 + index, circuit));
  const rec = await chain.send(from, registry, await recordData(chain, evmTool, dir, task, 1));
  await chain.send(from, registry, await registerData(chain, evmTool, proofDir, task, 0x4000 + index, circuit));
  const again = await chain.send(from, registry, await recordData(chain, evmTool, dir, task, 2));
  const n = JSON.parse(fs.readFileSync(path.join(dir, 'evaluation.public.json'))).length;
  const nInference = JSON.parse(fs.readFileSync(path.join(proofDir, 'public.json'))).length;
  return { name, n, nInference, own, registerGas: BigInt(reg.gasUsed), recordGas: BigInt(rec.gasUsed),
           reuseGas: BigInt(again.gasUsed) };
}

function evaluationTable(rows) {
  const lines = [
    '',
    'recordEvaluation: a version\'s evaluation proof (N public signals) checked by a verifier the registry',
    'deploys from the evaluation key (CREATE2, as registerVersion does), its figures stored and bestVersion',
    'updated; "same key": another version of the same circuit, the evaluation verifier reused. The',
    'registration is a separate transaction (registerVersion above, with the inference proof of',
    'fixtures/n1 or the fixture\'s own); "both" is the two together. N = 5 or 7: hashed parameters,',
    'recordHashedEvaluation (the inference proof\'s signals passed too, checked against signalsHash).',
    '',
    '| evaluation fixture | N | registerVersion gas (inference N) | recordEvaluation gas | same key | both |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(`| ${r.name} | ${r.n} | ${r.registerGas} (${r.nInference}${r.own ? ', its own proof' : ', n1'}) | ` +
               `${r.recordGas} | ${r.reuseGas} | ${r.registerGas + r.recordGas} |`);
  return lines.join('\n') + '\n';
}

function table(rows, commit) {
  const lines = [
    `## gas (${commit}, ${new Date().toISOString().slice(0, 10)}, anvil ${execFileSync(path.join(ROOT, 'node_modules', '.bin', 'anvil'), ['--version'], { encoding: 'utf8' }).split('\n')[0].replace('anvil Version: ', '')}, solc 0.8.37 optimizer 200)`,
    '',
    'gas = gasUsed of a transaction (21,000 intrinsic and calldata included). registerVersion: the first',
    'version of a new task, the registry deploying the verifier from the key (CREATE2) and verifying the',
    'proof with it; "same key": a second version whose verifier is reused. Targets (issue 10): registering',
    'a 1-signal version <= 800k; verifyProof on the verifier the registry deployed <= 230k.',
    '',
    '| fixture | N | verifier | runtime bytes | deploy gas | verifyProof gas | registerVersion gas | same key | targets |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  for (const r of rows) {
    const registered = r.registerGas !== undefined;
    const target = !registered ? '' : r.n === 1
      ? `register ${verdict(r.registerGas <= 800000n)}, verify ${verdict(r.verifyGas <= 230000n)}` : '(1-signal only)';
    lines.push(`| ${r.name} | ${r.n} | ${r.kind} | ${r.size}${r.size < 24576 ? '' : ' (OVER 24,576)'} | ` +
               `${r.deployGas === null ? '(in registerVersion)' : r.deployGas} | ${r.verifyGas} | ` +
               `${registered ? r.registerGas : ''} | ${registered ? r.reuseGas : ''} | ${target} |`);
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const [buildDir, ...dirs] = process.argv.slice(2);
  if (!buildDir) {
    console.error('usage: node bench/gas/gas_bench.js BUILD_DIR [ARTIFACT_DIR ...]');
    process.exit(2);
  }
  const evmTool = path.join(buildDir, 'tests', 'evm', 'evm_tool');
  const fixtures = path.join(ROOT, 'tests', 'evm', 'fixtures');
  const sources = dirs.length ? dirs : fs.readdirSync(fixtures).sort().map((d) => path.join(fixtures, d))
    .filter((d) => fs.statSync(d).isDirectory());
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gas_bench_'));
  const chain = await Chain.start();
  let rows = [];
  const evalRows = [];
  const evalFixtures = path.join(ROOT, 'tests', 'evm', 'eval_fixtures');
  try {
    const registry = (await chain.deploy(chain.accounts[0], '0x' + tool(evmTool, 'registry-code'))).address;
    console.log(`ModelRegistry runtime: ${await runtimeSize(chain, registry)} bytes`);
    for (const [i, src] of sources.entries())
      rows = rows.concat(await benchFixture(chain, evmTool, registry, src, work, i));
    for (const [i, d] of fs.readdirSync(evalFixtures).sort().entries())
      evalRows.push(await benchEvaluation(chain, evmTool, registry, path.join(evalFixtures, d), i));
  } finally {
    chain.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const text = table(rows, commit) + evaluationTable(evalRows);
  process.stdout.write(text);
  fs.appendFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), '\n' + text);
}

main().catch((e) => {
  console.error('gas_bench FAILED:', e.message);
  process.exit(1);
});
