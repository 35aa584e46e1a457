// infernet_consumer.js - a consumer contract (InfernetConsumer.sol, compiled by
// contracts/compile.js --check-ir) deployed on the service's anvil decodes a
// service_output answer's proof bytes and gets the outputs from
// ModelRegistry.attest; ethers 5 (an ABI implementation other than ours)
// decodes every field of the answer. Exit 0 when the contract's outputs equal
// raw_output and a changed signal reverts.
//
// Usage: node infernet_consumer.js RPC_URL REGISTRY ANSWER.json SETTINGS.json WORK_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { Chain, ROOT } = require(path.join(__dirname, '..', 'evm', 'chain.js'));
const { utils } = require(path.join(ROOT, 'node_modules', 'ethers'));

async function main() {
  const [url, registry, answerPath, settingsPath, work] = process.argv.slice(2);
  const answer = JSON.parse(fs.readFileSync(answerPath, 'utf8'));
  const packing = JSON.parse(fs.readFileSync(settingsPath, 'utf8')).packing.output;
  const coder = utils.defaultAbiCoder;
  const [rawOutput] = coder.decode(['int256[]'], answer.raw_output);
  coder.decode(['uint256[]'], answer.processed_output);
  coder.decode(['uint256[]'], answer.processed_input);
  const out = path.join(work, 'consumer.json');
  execFileSync('node', [path.join(ROOT, 'contracts', 'compile.js'), '--check-ir',
                        path.join(__dirname, 'InfernetConsumer.sol'), out], { stdio: 'inherit' });
  const compiled = JSON.parse(fs.readFileSync(out, 'utf8')).InfernetConsumer;
  const chain = new Chain(null, url);
  const [from] = await chain.rpc('eth_accounts', []);
  const args = coder.encode(['address', 'string', 'uint256', 'uint256', 'uint256', 'uint256'],
                            [registry, 'iris', 1, packing.count, packing.bits, packing.offset]);
  const { address } = await chain.deploy(from, compiled.bytecode + args.slice(2));
  const iface = new utils.Interface(compiled.abi);
  const got = await chain.call(address, iface.encodeFunctionData('outputs', [answer.proof]));
  if (!got.ok) throw new Error('the consumer reverted on the honest proof: ' + got.message);
  const [outputs] = iface.decodeFunctionResult('outputs', got.data);
  const same = outputs.length === rawOutput.length && outputs.every((v, i) => v.eq(rawOutput[i]));
  // The proof's last word is the last public signal: changed, attest must revert.
  const p = answer.proof;
  const tampered = p.slice(0, -1) + (p.slice(-1) === '0' ? '1' : '0');
  const bad = await chain.call(address, iface.encodeFunctionData('outputs', [tampered]));
  console.log(JSON.stringify({ outputs: outputs.map(String), raw_output: rawOutput.map(String),
                               tampered_reverts: !bad.ok }));
  process.exit(same && !bad.ok ? 0 : 1);
}

main().catch((e) => {
  console.error('infernet_consumer FAILED:', e.message);
  process.exit(1);
});
