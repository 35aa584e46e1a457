// chain_test.js - pipeline/evm and contracts/ against a real anvil.
//
// For every fixture (fixtures/nN: setup and proof by snarkjs; fixtures/ours_*:
// by our prover, with snarkjs's soliditycalldata of the proof): the exported
// Verifier.sol (compiled here by solcjs, which must print no warning), the
// verifier deployed without a compiler (evm_tool verifier-code) and, for nN,
// snarkjs's own verifier are deployed; the first two must answer every call,
// valid or tampered, identically, and agree with snarkjs's where snarkjs
// checks the same thing. Then ModelRegistry (the bytecode embedded in zkml_evm) is
// deployed and every function and revert is exercised.
//
// Usage: node chain_test.js EVM_TOOL FIXTURES_DIR WORK_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const assert = require('assert/strict');
const { spawnSync } = require('child_process');
const { Chain, word, addressWord, stringTail, encodeArgs, words, decodeString, tool, solc, ROOT } =
  require('./chain.js');

const [toolPath, fixtures, work] = process.argv.slice(2);
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const TRUE = '0x' + word(1);
const FALSE = '0x' + word(0);
let checks = 0;

function check(cond, what) {
  checks++;
  assert.ok(cond, what);
}

function splitCall(hex) {
  const sel = hex.slice(0, 10);
  const ws = [];
  for (let i = 10; i < hex.length; i += 64) ws.push(BigInt('0x' + hex.slice(i, i + 64)));
  return { sel, ws };
}
const joinCall = (sel, ws) => sel + ws.map((w) => word(BigInt.asUintN(256, w))).join('');

// Calldata variants that must be refused; each replaces some words of a valid call.
function tamperings(n) {
  const out = [];
  for (let i = 0; i < 8 + n; i++) out.push([`word ${i} + 1`, (w) => { w[i] += 1n; }, true]);
  out.push(['public signal + r', (w) => { w[8] += R; }, true]);
  out.push(['A.y + q', (w) => { w[1] += Q; }, true]);
  out.push(['-A', (w) => { w[1] = (Q - w[1]) % Q; }, true]);
  out.push(['B in c0,c1 order', (w) => { [w[2], w[3], w[4], w[5]] = [w[3], w[2], w[5], w[4]]; }, true]);
  out.push(['A and C swapped', (w) => { [w[0], w[1], w[6], w[7]] = [w[6], w[7], w[0], w[1]]; }, true]);
  if (n > 1) out.push(['signals swapped', (w) => { [w[8], w[9]] = [w[9], w[8]]; }, true]);
  return out;
}

async function sameAnswer(chain, verifiers, data, extra, what) {
  const answers = [];
  for (const v of verifiers) answers.push(await chain.call(v, data, extra));
  check(answers[0].ok === answers[1].ok && answers[0].data === answers[1].data,
        `${what}: Verifier.sol ${JSON.stringify(answers[0])} vs keyed verifier ${JSON.stringify(answers[1])}`);
  return answers;
}

async function testVerifiers(chain, name) {
  const src = path.join(fixtures, name);
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['verification_key.json', 'proof.json', 'public.json'])
    fs.copyFileSync(path.join(src, f), path.join(dir, f));
  tool(toolPath, 'export', dir);
  const n = JSON.parse(fs.readFileSync(path.join(dir, 'public.json'))).length;
  const calldata = JSON.parse(fs.readFileSync(path.join(dir, 'calldata.json')));

  const compiled = solc(path.join(dir, 'Verifier.sol'), path.join(dir, 'solc.json')).Groth16Verifier;
  // The solcjs command line too, as a user would run it: it prints warnings on stderr.
  const cli = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'solcjs'),
                        ['--bin', '--optimize', '-o', path.join(dir, 'solcjs'), 'Verifier.sol'],
                        { cwd: dir, encoding: 'utf8' });
  check(cli.status === 0 && cli.stderr.trim() === '' &&
        fs.existsSync(path.join(dir, 'solcjs', 'Verifier_sol_Groth16Verifier.bin')),
        `${name}: solcjs Verifier.sol: status ${cli.status}, ${cli.stderr}`);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'Verifier.abi.json'))), compiled.abi,
                   `${name}: Verifier.abi.json differs from solc's ABI`);
  const sig = `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`;
  check(calldata.hex.slice(2, 10) === compiled.methodIdentifiers[sig], `${name}: selector`);
  // Fixtures made by our own prover have no snarkjs zkey, hence no snarkjs verifier.
  const snarkjsSol = path.join(src, 'snarkjs_Verifier.sol');
  const snarkjs = fs.existsSync(snarkjsSol) ? solc(snarkjsSol, path.join(dir, 'snarkjs.json')).Groth16Verifier : null;

  const from = chain.accounts[0];
  const sol = await chain.deploy(from, compiled.bytecode);
  const keyed = await chain.deploy(from, '0x' + tool(toolPath, 'verifier-code', path.join(dir, 'verification_key.json')));
  const theirs = snarkjs && await chain.deploy(from, snarkjs.bytecode);
  const keyedCode = await chain.rpc('eth_getCode', [keyed.address, 'latest']);
  check((keyedCode.length - 2) / 2 < 24576, `${name}: keyed verifier size`);
  const verifiers = [sol.address, keyed.address];

  const valid = await sameAnswer(chain, verifiers, calldata.hex, {}, `${name} valid`);
  check(valid[0].ok && valid[0].data === TRUE, `${name}: the valid proof is refused`);
  if (theirs) {
    const snarkjsValid = await chain.call(theirs.address, calldata.hex);
    check(snarkjsValid.data === TRUE, `${name}: snarkjs's verifier refuses the fixture`);
  }
  check(calldata.solidity === fs.readFileSync(path.join(src, 'snarkjs_soliditycalldata.txt'), 'utf8').trim(),
        `${name}: calldata.json differs from snarkjs's soliditycalldata`);

  const { sel, ws } = splitCall(calldata.hex);
  for (const [what, edit, askSnarkjs] of tamperings(n)) {
    const w = ws.slice();
    edit(w);
    const data = joinCall(sel, w);
    const got = await sameAnswer(chain, verifiers, data, {}, `${name} ${what}`);
    check(got[0].ok && got[0].data === FALSE, `${name} ${what}: accepted or reverted: ${JSON.stringify(got[0])}`);
    if (askSnarkjs && theirs) {
      const s = await chain.call(theirs.address, data);
      check(s.ok && s.data === FALSE, `${name} ${what}: snarkjs's verifier says ${s.data}`);
    }
  }
  // What the ABI dispatcher refuses, both refuse; trailing bytes are ignored by both.
  const wrongSel = '0x' + (parseInt(sel.slice(2, 4), 16) ^ 1).toString(16).padStart(2, '0') + calldata.hex.slice(4);
  for (const [what, data, extra, ok] of [
    ['wrong selector', wrongSel, {}, false],
    ['short calldata', calldata.hex.slice(0, -2), {}, false],
    ['with value', calldata.hex, { value: '0x1', from }, false],
    ['trailing byte', calldata.hex + '00', {}, true],
  ]) {
    const got = await sameAnswer(chain, verifiers, data, extra, `${name} ${what}`);
    check(got[0].ok === ok, `${name} ${what}: ${JSON.stringify(got[0])}`);
  }
  console.log(`${name}: Verifier.sol and keyed verifier agree on ${tamperings(n).length + 5} calls; ` +
              `keyed verifier ${(keyedCode.length - 2) / 2} bytes`);
  return { n, keyed: keyed.address, sol: sol.address, words: ws };
}

// The deployer refuses a key of the wrong shape or with a word >= q.
async function testDeployerChecks(chain) {
  const code = tool(toolPath, 'verifier-code', path.join(fixtures, 'n1', 'verification_key.json'));
  const keyWords = 18;
  const head = code.slice(0, code.length - 64 * (keyWords + 2));
  check(code.slice(head.length, head.length + 128) === word(32) + word(keyWords), 'creation code ends with abi.encode(key)');
  const key = code.slice(head.length + 128).match(/.{64}/g);
  const encode = (ws) => '0x' + head + word(32) + word(ws.length) + ws.join('');
  const attempts = [
    ['17 words', encode(key.slice(0, 17))],
    ['odd length', encode([...key, word(1)])],
    ['a word equal to q', encode([word(Q), ...key.slice(1)])],
  ];
  for (const [what, data] of attempts) {
    let deployed = false;
    try { await chain.deploy(chain.accounts[0], data); deployed = true; } catch (e) { /* refused */ }
    check(!deployed, `deployer accepted a key with ${what}`);
  }
  const ok = await chain.deploy(chain.accounts[0], encode(key));
  check(ok.address, 'the unmodified key deploys');
}

// ---- ModelRegistry -------------------------------------------------------------

async function registerData(chain, r, task, modelHash, vkHash, verifier, uri, pubWords) {
  const ws = r.words;
  const staticWords = (arr) => ({ static: arr.map(word).join('') });
  const pub = pubWords || ws.slice(8);
  return (await chain.selector('registerVersion(string,bytes32,bytes32,address,string,uint256[2],uint256[2][2],uint256[2],uint256[])')) +
    encodeArgs([
      { dynamic: stringTail(task) }, { static: word(modelHash) }, { static: word(vkHash) },
      { static: addressWord(verifier) }, { dynamic: stringTail(uri) },
      staticWords(ws.slice(0, 2)), staticWords(ws.slice(2, 6)), staticWords(ws.slice(6, 8)),
      { dynamic: word(pub.length) + pub.map(word).join('') },
    ]);
}

async function expectRevert(chain, from, to, data, errorSig, what) {
  const got = await chain.call(to, data, { from });
  const sel = await chain.selector(errorSig);
  check(!got.ok && got.data.startsWith(sel), `${what}: expected ${errorSig}, got ${JSON.stringify(got)}`);
  let sent = false;
  try { await chain.send(from, to, data); sent = true; } catch (e) { /* reverted, as expected */ }
  check(!sent, `${what}: the transaction went through`);
}

async function callFn(chain, to, sig, args) {
  return chain.call(to, (await chain.selector(sig)) + encodeArgs(args));
}

// Decodes a Version tuple whose head starts at byte offset `at` of `hex`.
function decodeVersion(hex, at) {
  const w = words(hex);
  const i = at / 32;
  return { modelHash: w[i], vkHash: w[i + 1], verifier: w[i + 2], uri: decodeString(hex, at + Number(w[i + 3])),
           registrant: w[i + 4], timestamp: w[i + 5] };
}

async function testRegistry(chain, n2, n4) {
  const [owner, other] = chain.accounts;
  const code = '0x' + tool(toolPath, 'registry-code');
  const registry = (await chain.deploy(owner, code)).address;
  const m1 = 0x1111n, m2 = 0x2222n, m3 = 0x3333n, vk1 = 0xaaaan;
  const task = 'iris_v-1';
  const str = (s) => ({ dynamic: stringTail(s) });

  // A valid proof registers version 1 and makes the sender the owner.
  const receipt = await chain.send(owner, registry, await registerData(chain, n2, task, m1, vk1, n2.keyed, 'ipfs://one'));
  const topics = receipt.logs.map((l) => l.topics[0]);
  check(topics[0] === await chain.keccak('0x' + Buffer.from('TaskCreated(string,address)').toString('hex')), 'TaskCreated event');
  const reg = receipt.logs[1];
  check(reg.topics[0] === await chain.keccak('0x' + Buffer.from('VersionRegistered(string,uint256,bytes32,address)').toString('hex')) &&
        BigInt(reg.topics[1]) === 1n && BigInt(reg.topics[2]) === m1, 'VersionRegistered event');
  const block = await chain.rpc('eth_getBlockByNumber', [receipt.blockNumber, false]);

  let r = await callFn(chain, registry, 'taskOwner(string)', [str(task)]);
  check(words(r.data)[0] === BigInt(owner), 'taskOwner');
  r = await callFn(chain, registry, 'versionCount(string)', [str(task)]);
  check(words(r.data)[0] === 1n, 'versionCount 1');
  r = await callFn(chain, registry, 'getVersion(string,uint256)', [str(task), { static: word(1) }]);
  let v = decodeVersion(r.data, Number(words(r.data)[0]));
  check(v.modelHash === m1 && v.vkHash === vk1 && v.verifier === BigInt(n2.keyed) && v.uri === 'ipfs://one' &&
        v.registrant === BigInt(owner) && v.timestamp === BigInt(block.timestamp), `getVersion(1): ${JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x.toString(16) : x)}`);

  // A second version, verified by the exported Verifier.sol of another circuit.
  await chain.send(owner, registry, await registerData(chain, n4, task, m2, vk1, n4.sol, 'ipfs://two'));
  r = await callFn(chain, registry, 'latestVersion(string)', [str(task)]);
  check(words(r.data)[0] === 2n, 'latestVersion number');
  v = decodeVersion(r.data, Number(words(r.data)[1]));
  check(v.modelHash === m2 && v.uri === 'ipfs://two' && v.verifier === BigInt(n4.sol), 'latestVersion content');
  r = await callFn(chain, registry, 'findByModelHash(bytes32)', [{ static: word(m2) }]);
  check(decodeString(r.data, Number(words(r.data)[0])) === task && words(r.data)[1] === 2n, 'findByModelHash');

  // Refusals, each with its custom error.
  const tampered = { ...n2, words: n2.words.slice() };
  tampered.words[6] += 1n;
  await expectRevert(chain, owner, registry, await registerData(chain, tampered, task, m3, vk1, n2.keyed, 'x'),
                     'ProofRejected(string,address)', 'tampered proof');
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, m3, vk1, n2.keyed, 'x', [...n2.words.slice(8), 5n]),
                     'ProofRejected(string,address)', 'public signal count not the verifier\'s');
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, m3, vk1, n4.keyed, 'x'),
                     'ProofRejected(string,address)', 'another circuit\'s verifier');
  await expectRevert(chain, other, registry, await registerData(chain, n2, task, m3, vk1, n2.keyed, 'x'),
                     'NotTaskOwner(string,address,address)', 'second account');
  await expectRevert(chain, owner, registry, await registerData(chain, n2, 'bad id!', m3, vk1, n2.keyed, 'x'),
                     'InvalidTaskId(string)', 'bad task id');
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, 0n, vk1, n2.keyed, 'x'),
                     'ZeroModelHash()', 'zero model hash');
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, m3, vk1, other, 'x'),
                     'VerifierHasNoCode(address)', 'verifier without code');
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, m3, vk1, n2.keyed, 'x', []),
                     'NoPublicSignals()', 'no public signals');

  // Ownership: only the owner transfers; the new owner registers, the old cannot.
  const transfer = async (newOwner) => (await chain.selector('transferTaskOwnership(string,address)')) +
    encodeArgs([str(task), { static: addressWord(newOwner) }]);
  await expectRevert(chain, other, registry, await transfer(other), 'NotTaskOwner(string,address,address)', 'transfer by non-owner');
  await expectRevert(chain, owner, registry, await transfer('0x' + '0'.repeat(40)), 'ZeroNewOwner()', 'transfer to zero');
  const t = await chain.send(owner, registry, await transfer(other));
  check(t.logs.length === 1 && BigInt(t.logs[0].topics[1]) === BigInt(owner) && BigInt(t.logs[0].topics[2]) === BigInt(other),
        'TaskOwnershipTransferred event');
  r = await callFn(chain, registry, 'taskOwner(string)', [str(task)]);
  check(words(r.data)[0] === BigInt(other), 'taskOwner after transfer');
  await chain.send(other, registry, await registerData(chain, n2, task, m1, vk1, n2.keyed, 'ipfs://three'));
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, m3, vk1, n2.keyed, 'x'),
                     'NotTaskOwner(string,address,address)', 'previous owner');
  r = await callFn(chain, registry, 'getVersion(string,uint256)', [str(task), { static: word(3) }]);
  v = decodeVersion(r.data, Number(words(r.data)[0]));
  check(v.registrant === BigInt(other) && v.uri === 'ipfs://three', 'version 3 by the new owner');
  // The same model hash again: findByModelHash keeps the first registration.
  r = await callFn(chain, registry, 'findByModelHash(bytes32)', [{ static: word(m1) }]);
  check(words(r.data)[1] === 1n, 'findByModelHash keeps the first registration');

  // Lookups of what does not exist.
  const unknown = async (sig, args, err, what) => {
    const got = await callFn(chain, registry, sig, args);
    check(!got.ok && got.data.startsWith(await chain.selector(err)), `${what}: ${JSON.stringify(got)}`);
  };
  await unknown('getVersion(string,uint256)', [str(task), { static: word(0) }], 'UnknownVersion(string,uint256)', 'version 0');
  await unknown('getVersion(string,uint256)', [str(task), { static: word(4) }], 'UnknownVersion(string,uint256)', 'version 4');
  await unknown('latestVersion(string)', [str('nope')], 'UnknownTask(string)', 'latest of unknown task');
  await unknown('findByModelHash(bytes32)', [{ static: word(m3) }], 'UnknownModelHash(bytes32)', 'unknown model hash');
  await unknown('transferTaskOwnership(string,address)', [str('nope'), { static: addressWord(other) }], 'UnknownTask(string)', 'transfer unknown task');
  r = await callFn(chain, registry, 'versionCount(string)', [str('nope')]);
  check(words(r.data)[0] === 0n, 'versionCount of unknown task');
  r = await callFn(chain, registry, 'taskOwner(string)', [str('nope')]);
  check(words(r.data)[0] === 0n, 'taskOwner of unknown task');
  console.log(`ModelRegistry at ${registry}: register, lookups, ownership and every revert behave`);
}

// Our Keccak-256 against anvil's web3_sha3 over block boundaries (rate 136).
async function testKeccak(chain) {
  for (const len of [0, 1, 135, 136, 137, 271, 272, 500]) {
    const hex = Buffer.from(Array.from({ length: len }, (_, i) => (i * 7 + 3) & 255)).toString('hex');
    check('0x' + tool(toolPath, 'keccak', hex) === await chain.keccak('0x' + hex), `keccak of ${len} bytes`);
  }
}

async function main() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const chain = await Chain.start();
  try {
    await testKeccak(chain);
    const results = {};
    for (const name of fs.readdirSync(fixtures).sort()) {
      if (fs.statSync(path.join(fixtures, name)).isDirectory()) results[name] = await testVerifiers(chain, name);
    }
    await testDeployerChecks(chain);
    await testRegistry(chain, results.n2, results.n4);
  } finally {
    chain.stop();
  }
  console.log(`evm_chain: ${checks} checks passed`);
}

main().catch((e) => {
  console.error('evm_chain FAILED:', e.message);
  process.exit(1);
});
