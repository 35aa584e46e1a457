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
const { word, addressWord, stringTail, encodeArgs, words, decodeString, tool, solc, ROOT, runOnChain,
        revertsWith } = require('./chain.js');

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
  const creation = '0x' + tool(toolPath, 'verifier-code', path.join(dir, 'verification_key.json'));
  const keyed = await chain.deploy(from, creation);
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
  const key = tool(toolPath, 'key-words', path.join(dir, 'verification_key.json')).split('\n').map((h) => BigInt('0x' + h));
  return { n, keyed: keyed.address, keyedCode, creation, key, words: ws };
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
    ['every word zero', encode(key.map(() => word(0)))],
    ['gamma = delta', encode([...key.slice(0, 10), ...key.slice(6, 10), ...key.slice(14)])],
    ['alpha at infinity', encode([word(0), word(0), ...key.slice(2)])],
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

const REGISTER = 'registerVersion(string,bytes32,bytes32,bytes32,uint256[],uint256[2],uint256[2][2],uint256[2],uint256[])';
const VERSION_REGISTERED = 'VersionRegistered(string,uint256,bytes32,address,bytes32,bytes32,bytes32,address,uint256[])';

// registerVersion's calldata for fixture r's proof; over overrides key, proof words or signals.
async function registerData(chain, r, task, modelHash, circuitHash, settingsHash, over = {}) {
  const ws = over.words || r.words;
  const key = over.key || r.key;
  const pub = over.pub || ws.slice(8);
  const staticWords = (arr) => ({ static: arr.map(word).join('') });
  return (await chain.selector(REGISTER)) + encodeArgs([
    { dynamic: stringTail(task) }, { static: word(modelHash) }, { static: word(circuitHash) },
    { static: word(settingsHash) }, { dynamic: word(key.length) + key.map(word).join('') },
    staticWords(ws.slice(0, 2)), staticWords(ws.slice(2, 6)), staticWords(ws.slice(6, 8)),
    { dynamic: word(pub.length) + pub.map(word).join('') },
  ]);
}

const expectRevert = (...args) => revertsWith(check, ...args);

async function callFn(chain, to, sig, args) {
  return chain.call(to, (await chain.selector(sig)) + encodeArgs(args));
}

// Decodes the 8-word Version tuple starting at word i of `hex`.
function decodeVersion(hex, i = 0) {
  const w = words(hex);
  return { modelHash: w[i], circuitHash: w[i + 1], settingsHash: w[i + 2], vkHash: w[i + 3],
           signalsHash: w[i + 4], verifier: w[i + 5], timestamp: w[i + 6], registrant: w[i + 7] };
}
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString(16) : x));

// What the registry must compute for fixture r, from anvil's own keccak.
async function expected(chain, registry, r) {
  const hex = (ws) => '0x' + ws.map(word).join('');
  const initHash = await chain.keccak(r.creation);
  const create2 = await chain.keccak('0xff' + registry.slice(2).toLowerCase() + word(0) + initHash.slice(2));
  return { vkHash: BigInt(await chain.keccak(hex(r.key))), signalsHash: BigInt(await chain.keccak(hex(r.words.slice(8)))),
           verifier: BigInt('0x' + create2.slice(26)) };
}

async function versionOf(chain, registry, task, n) {
  const r = await callFn(chain, registry, 'getVersion(string,uint256)', [{ dynamic: stringTail(task) }, { static: word(n) }]);
  check(r.ok, `getVersion(${task}, ${n}): ${JSON.stringify(r)}`);
  return decodeVersion(r.data);
}

async function count(chain, registry, sig, arg) {
  return words((await callFn(chain, registry, sig, [arg])).data)[0];
}

// The honest flow: every field recorded and emitted, each against its own oracle.
async function testHonest(chain, registry, n2) {
  const owner = chain.accounts[0];
  const task = 'iris_v-1', m = 0x1111n, circuit = 0xc1n, settings = 0x5e1n;
  const receipt = await chain.send(owner, registry, await registerData(chain, n2, task, m, circuit, settings));
  const want = await expected(chain, registry, n2);
  const block = await chain.rpc('eth_getBlockByNumber', [receipt.blockNumber, false]);
  const v = await versionOf(chain, registry, task, 1);
  check(v.modelHash === m && v.circuitHash === circuit && v.settingsHash === settings &&
        v.vkHash === want.vkHash && v.signalsHash === want.signalsHash && v.verifier === want.verifier &&
        v.registrant === BigInt(owner) && v.timestamp === BigInt(block.timestamp),
        `getVersion(1): ${show(v)}, expected ${show(want)}`);
  // The verifier the registry deployed is the deployer's verifier for this key, byte for byte.
  const code = await chain.rpc('eth_getCode', ['0x' + word(v.verifier).slice(24), 'latest']);
  check(code === n2.keyedCode, 'the registry\'s verifier differs from the keyed verifier of the key');
  const predicted = await callFn(chain, registry, 'verifierAddress(uint256[])',
                                 [{ dynamic: word(n2.key.length) + n2.key.map(word).join('') }]);
  check(words(predicted.data)[0] === want.verifier, 'verifierAddress(key)');

  check(receipt.logs[0].topics[0] === await chain.keccak('0x' + Buffer.from('TaskCreated(string,address)').toString('hex')), 'TaskCreated event');
  const ev = receipt.logs[1];
  const d = words(ev.data);
  const signals = d.slice(Number(d[5]) / 32 + 1, Number(d[5]) / 32 + 1 + Number(d[Number(d[5]) / 32]));
  check(ev.topics[0] === await chain.keccak('0x' + Buffer.from(VERSION_REGISTERED).toString('hex')) &&
        BigInt(ev.topics[1]) === 1n && BigInt(ev.topics[2]) === m && BigInt(ev.topics[3]) === BigInt(owner) &&
        decodeString(ev.data, Number(d[0])) === task && d[1] === circuit && d[2] === settings &&
        d[3] === want.vkHash && d[4] === want.verifier && signals.join() === n2.words.slice(8).join(),
        `VersionRegistered event: ${show(d)}`);
  console.log(`honest registration: every field recorded and emitted, ${receipt.gasUsed} gas`);
  return task;
}

// Always-true verifiers: the caller has no way to name one.
async function testNoChosenVerifier(chain, registry, n2, task) {
  const owner = chain.accounts[0];
  const alwaysTrue = (await chain.deploy(owner, '0x69600160005260206000f3600052600a6016f3')).address;
  const any = await chain.call(alwaysTrue, '0x12345678');
  check(any.ok && any.data === TRUE, 'the always-true contract answers true');
  // The old interface, which took a verifier address, is gone.
  const oldSig = 'registerVersion(string,bytes32,bytes32,address,string,uint256[2],uint256[2][2],uint256[2],uint256[])';
  const old = (await chain.selector(oldSig)) + encodeArgs([
    { dynamic: stringTail(task) }, { static: word(0x99) }, { static: word(0x99) },
    { static: addressWord(alwaysTrue) }, { dynamic: stringTail('x') },
    { static: n2.words.slice(0, 8).map(word).join('') }, { dynamic: word(2) + n2.words.slice(8).map(word).join('') },
  ]);
  const gotOld = await chain.call(registry, old, { from: owner });
  check(!gotOld.ok, `the old registerVersion with a verifier address: ${JSON.stringify(gotOld)}`);
  // Its code as the key, or keys that make an always-true verifier, are refused.
  const attempts = [
    [{ key: [BigInt('0x600160005260206000f3')] }, 'KeyLengthMismatch(uint256,uint256)', 'the always-true code as the key'],
    [{ key: n2.key.map(() => 0n), words: [0n, 0n, ...n2.words.slice(2, 6), 0n, 0n, ...n2.words.slice(8)] },
     'DegenerateVerificationKey()', 'an all-zero key with A = C = 0'],
    [{ key: [...n2.key.slice(0, 10), ...n2.key.slice(6, 10), ...n2.key.slice(14)] },
     'DegenerateVerificationKey()', 'gamma = delta'],
  ];
  // Tampered key bytes: any word of IC changed gives another key, under which the proof fails.
  for (const i of [0, 6, 14, 15, n2.key.length - 1]) {
    const key = n2.key.slice();
    key[i] = (key[i] + 1n) % Q;
    attempts.push([{ key }, 'ProofRejected(string,bytes32)', `key word ${i} + 1`]);
  }
  for (const [over, error, what] of attempts) {
    await expectRevert(chain, owner, registry, await registerData(chain, n2, task, 0x99n, 1n, 1n, over), error, what);
  }
  check(await count(chain, registry, 'versionCount(string)', { dynamic: stringTail(task) }) === 1n &&
        await count(chain, registry, 'registrationCount(bytes32)', { static: word(0x99) }) === 0n,
        'a refused registration left a trace');
  console.log(`no chosen verifier: ${attempts.length + 1} attempts refused, nothing recorded`);
}

// A proof for another circuit fails under this key; with its own key it is
// recorded under its own vk hash, listed beside the honest registration of
// the model hash it claims, which it cannot hide or take over.
async function testOtherCircuit(chain, registry, n1, iris) {
  const [owner, attacker] = chain.accounts;
  const mnist = 0x3333n, mnistCircuit = 0xcc01n, settings = 0x5e2n;
  await chain.send(owner, registry, await registerData(chain, n1, 'mnist', mnist, mnistCircuit, settings));
  const honest = await versionOf(chain, registry, 'mnist', 1);
  // iris's proof with mnist's key (both 1 signal): rejected, so mnist's vk hash cannot be borrowed.
  await expectRevert(chain, attacker, registry,
                     await registerData(chain, iris, 'fake', mnist, mnistCircuit, settings, { key: n1.key }),
                     'ProofRejected(string,bytes32)', 'iris\'s proof under mnist\'s key');
  await expectRevert(chain, attacker, registry,
                     await registerData(chain, n1, 'fake', mnist, mnistCircuit, settings, { key: iris.key }),
                     'ProofRejected(string,bytes32)', 'mnist\'s proof under iris\'s key');
  // iris's proof with its own key, claiming mnist's model and circuit: recorded as what it is.
  await chain.send(attacker, registry, await registerData(chain, iris, 'fake', mnist, mnistCircuit, settings));
  const fake = await versionOf(chain, registry, 'fake', 1);
  const irisWant = await expected(chain, registry, iris);
  check(fake.vkHash === irisWant.vkHash && fake.vkHash !== honest.vkHash && fake.registrant === BigInt(attacker) &&
        fake.verifier === irisWant.verifier, `the claim is recorded under iris's key: ${show(fake)}`);
  // The owner registers the same model again elsewhere: three registrations, oldest first, none hidden.
  await chain.send(owner, registry, await registerData(chain, n1, 'mnist-2', mnist, mnistCircuit, settings));
  check(await count(chain, registry, 'registrationCount(bytes32)', { static: word(mnist) }) === 3n, 'registrationCount 3');
  const listed = [];
  for (let i = 0; i < 3; i++) {
    const r = await callFn(chain, registry, 'registrationAt(bytes32,uint256)', [{ static: word(mnist) }, { static: word(i) }]);
    const t = decodeString(r.data, Number(words(r.data)[0]));
    const v = await versionOf(chain, registry, t, words(r.data)[1]);
    listed.push(`${t}/${words(r.data)[1]}/${v.registrant === BigInt(owner) ? 'owner' : 'attacker'}/${v.vkHash === honest.vkHash ? 'mnist-key' : 'other-key'}`);
  }
  check(listed.join(' ') === 'mnist/1/owner/mnist-key fake/1/attacker/other-key mnist-2/1/owner/mnist-key',
        `registrations of the model hash: ${listed.join(' ')}`);
  const past = await callFn(chain, registry, 'registrationAt(bytes32,uint256)', [{ static: word(mnist) }, { static: word(3) }]);
  check(!past.ok && past.data.startsWith(await chain.selector('UnknownRegistration(bytes32,uint256)')), 'registrationAt past the end');
  // The same key in another task reuses its verifier.
  check((await versionOf(chain, registry, 'mnist-2', 1)).verifier === honest.verifier, 'one verifier per key');
  console.log(`another circuit: refused under a foreign key; its own claim listed beside the honest one: ${listed.join(' ')}`);
}

async function testRefusals(chain, registry, n2, n4, task) {
  const [owner, other] = chain.accounts;
  const str = (s) => ({ dynamic: stringTail(s) });
  const tampered = n2.words.slice();
  tampered[6] += 1n;
  const refusals = [
    [owner, { words: tampered }, task, 5n, 'ProofRejected(string,bytes32)', 'tampered proof'],
    [owner, { pub: [...n2.words.slice(8), 5n] }, task, 5n, 'KeyLengthMismatch(uint256,uint256)', 'one signal more than the key'],
    [owner, { key: n4.key }, task, 5n, 'KeyLengthMismatch(uint256,uint256)', 'a key for 4 signals'],
    [other, {}, task, 5n, 'NotTaskOwner(string,address,address)', 'second account'],
    [owner, {}, 'bad id!', 5n, 'InvalidTaskId(string)', 'bad task id'],
    [owner, {}, task, 0n, 'ZeroModelHash()', 'zero model hash'],
    [owner, { pub: [] }, task, 5n, 'NoPublicSignals()', 'no public signals'],
  ];
  for (const [from, over, t, m, error, what] of refusals)
    await expectRevert(chain, from, registry, await registerData(chain, n2, t, m, 1n, 1n, over), error, what);

  // Ownership: only the owner transfers; the new owner registers, the old cannot.
  const transfer = async (newOwner) => (await chain.selector('transferTaskOwnership(string,address)')) +
    encodeArgs([str(task), { static: addressWord(newOwner) }]);
  await expectRevert(chain, other, registry, await transfer(other), 'NotTaskOwner(string,address,address)', 'transfer by non-owner');
  await expectRevert(chain, owner, registry, await transfer('0x' + '0'.repeat(40)), 'ZeroNewOwner()', 'transfer to zero');
  const t = await chain.send(owner, registry, await transfer(other));
  check(t.logs.length === 1 && BigInt(t.logs[0].topics[1]) === BigInt(owner) && BigInt(t.logs[0].topics[2]) === BigInt(other),
        'TaskOwnershipTransferred event');
  check(words((await callFn(chain, registry, 'taskOwner(string)', [str(task)])).data)[0] === BigInt(other), 'taskOwner after transfer');
  await chain.send(other, registry, await registerData(chain, n2, task, 0x7777n, 1n, 1n));
  await expectRevert(chain, owner, registry, await registerData(chain, n2, task, 0x8888n, 1n, 1n),
                     'NotTaskOwner(string,address,address)', 'previous owner');
  const latest = await callFn(chain, registry, 'latestVersion(string)', [str(task)]);
  check(words(latest.data)[0] === 2n && decodeVersion(latest.data, 1).registrant === BigInt(other), 'latestVersion: version 2 by the new owner');

  // Lookups of what does not exist.
  const unknown = async (sig, args, err, what) => {
    const got = await callFn(chain, registry, sig, args);
    check(!got.ok && got.data.startsWith(await chain.selector(err)), `${what}: ${JSON.stringify(got)}`);
  };
  await unknown('getVersion(string,uint256)', [str(task), { static: word(0) }], 'UnknownVersion(string,uint256)', 'version 0');
  await unknown('getVersion(string,uint256)', [str(task), { static: word(3) }], 'UnknownVersion(string,uint256)', 'version 3');
  await unknown('latestVersion(string)', [str('nope')], 'UnknownTask(string)', 'latest of unknown task');
  await unknown('registrationAt(bytes32,uint256)', [{ static: word(0x4444) }, { static: word(0) }], 'UnknownRegistration(bytes32,uint256)', 'unknown model hash');
  await unknown('transferTaskOwnership(string,address)', [str('nope'), { static: addressWord(other) }], 'UnknownTask(string)', 'transfer unknown task');
  check(await count(chain, registry, 'versionCount(string)', str('nope')) === 0n, 'versionCount of unknown task');
  check(await count(chain, registry, 'taskOwner(string)', str('nope')) === 0n, 'taskOwner of unknown task');
  check(await count(chain, registry, 'registrationCount(bytes32)', { static: word(0x4444) }) === 0n, 'registrationCount of unknown hash');
}

async function testRegistry(chain, fx) {
  const registry = (await chain.deploy(chain.accounts[0], '0x' + tool(toolPath, 'registry-code'))).address;
  const task = await testHonest(chain, registry, fx.n2);
  await testNoChosenVerifier(chain, registry, fx.n2, task);
  await testOtherCircuit(chain, registry, fx.n1, fx.ours_iris_linear);
  await testRefusals(chain, registry, fx.n2, fx.n4, task);
  console.log(`ModelRegistry at ${registry}: register, lookups, ownership and every revert behave`);
}

// Our Keccak-256 against anvil's web3_sha3 over block boundaries (rate 136).
async function testKeccak(chain) {
  for (const len of [0, 1, 135, 136, 137, 271, 272, 500]) {
    const hex = Buffer.from(Array.from({ length: len }, (_, i) => (i * 7 + 3) & 255)).toString('hex');
    check('0x' + tool(toolPath, 'keccak', hex) === await chain.keccak('0x' + hex), `keccak of ${len} bytes`);
  }
}

fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
runOnChain('evm_chain', async (chain) => {
  await testKeccak(chain);
  const results = {};
  for (const name of fs.readdirSync(fixtures).sort()) {
    if (fs.statSync(path.join(fixtures, name)).isDirectory()) results[name] = await testVerifiers(chain, name);
  }
  await testDeployerChecks(chain);
  await testRegistry(chain, results);
}, () => checks);
