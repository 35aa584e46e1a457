// chain.js - what the EVM test and the gas benchmark share: an anvil started
// on a free loopback port, JSON-RPC with plain fetch, transactions from
// anvil's unlocked development accounts, and a little ABI encoding.
'use strict';
const { spawn, execFileSync } = require('child_process');
const net = require('net');
const path = require('path');
const fs = require('fs');

const ROOT = path.join(__dirname, '..', '..');
const ANVIL = path.join(ROOT, 'node_modules', '.bin', 'anvil');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

class Chain {
  constructor(proc, url) { this.proc = proc; this.url = url; this.id = 0; }

  static async start() {
    const port = await freePort();
    const proc = spawn(ANVIL, ['--host', '127.0.0.1', '--port', String(port), '--silent'],
                       { stdio: 'ignore' });
    const chain = new Chain(proc, `http://127.0.0.1:${port}`);
    for (let i = 0; i < 200; i++) {
      try {
        await chain.rpc('eth_chainId', []);
        chain.accounts = await chain.rpc('eth_accounts', []);
        return chain;
      } catch (e) {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    chain.stop();
    throw new Error('anvil did not answer on ' + chain.url);
  }

  stop() { if (this.proc.exitCode === null) this.proc.kill('SIGTERM'); }

  async rpc(method, params) {
    const res = await fetch(this.url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
    });
    const body = await res.json();
    if (body.error) {
      const e = new Error(`${method}: ${body.error.message}`);
      e.data = body.error.data;
      throw e;
    }
    return body.result;
  }

  // Sends a transaction and waits for its receipt; throws on a revert.
  async send(from, to, data, value) {
    const tx = { from, data, gas: '0x1c9c380' };
    if (to) tx.to = to;
    if (value) tx.value = value;
    const hash = await this.rpc('eth_sendTransaction', [tx]);
    for (let i = 0; i < 100; i++) {
      const receipt = await this.rpc('eth_getTransactionReceipt', [hash]);
      if (receipt) {
        if (receipt.status !== '0x1') throw new Error(`transaction ${hash} reverted`);
        return receipt;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no receipt for ${hash}`);
  }

  async deploy(from, code) {
    const receipt = await this.send(from, null, code);
    return { address: receipt.contractAddress, gasUsed: BigInt(receipt.gasUsed) };
  }

  // {ok, data} for an eth_call; ok false with the revert data on a revert.
  async call(to, data, extra = {}) {
    try {
      return { ok: true, data: await this.rpc('eth_call', [{ to, data, ...extra }, 'latest']) };
    } catch (e) {
      return { ok: false, data: typeof e.data === 'string' ? e.data : '0x', message: e.message };
    }
  }

  async keccak(hex) { return this.rpc('web3_sha3', [hex]); }
  async selector(signature) {
    return (await this.keccak('0x' + Buffer.from(signature).toString('hex'))).slice(0, 10);
  }
}

// ---- ABI encoding of what the tests need ------------------------------------
const word = (v) => BigInt(v).toString(16).padStart(64, '0');
const addressWord = (a) => a.toLowerCase().replace(/^0x/, '').padStart(64, '0');
function bytesTail(hex) {
  const b = hex.replace(/^0x/, '');
  const len = b.length / 2;
  return word(len) + b.padEnd(Math.ceil(len / 32) * 64, '0');
}
const stringTail = (s) => bytesTail(Buffer.from(s, 'utf8').toString('hex'));

// Encodes arguments: each is {static: hexWords} or {dynamic: tailHex}.
function encodeArgs(args) {
  let headSize = 0;
  for (const a of args) headSize += a.static !== undefined ? a.static.length / 2 : 32;
  let head = '', tail = '';
  for (const a of args) {
    if (a.static !== undefined) head += a.static;
    else { head += word(headSize + tail.length / 2); tail += a.dynamic; }
  }
  return head + tail;
}

// Decodes a returned word list.
function words(hex) {
  const b = hex.replace(/^0x/, '');
  const out = [];
  for (let i = 0; i < b.length; i += 64) out.push(BigInt('0x' + b.slice(i, i + 64)));
  return out;
}
function decodeString(hex, offsetBytes) {
  const b = hex.replace(/^0x/, '');
  const len = Number(BigInt('0x' + b.slice(offsetBytes * 2, offsetBytes * 2 + 64)));
  return Buffer.from(b.slice(offsetBytes * 2 + 64, offsetBytes * 2 + 64 + len * 2), 'hex').toString('utf8');
}

function tool(toolPath, ...args) {
  return execFileSync(toolPath, args, { encoding: 'utf8' }).trim();
}

// Compiles a Solidity file with contracts/compile.js (fails on warnings).
function solc(file, outJson) {
  execFileSync('node', [path.join(ROOT, 'contracts', 'compile.js'), '--check', file, outJson],
               { stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(fs.readFileSync(outJson, 'utf8'));
}

// Checks (with the test's check) that data reverts with errorSig, both as a
// call and as a transaction.
async function revertsWith(check, chain, from, to, data, errorSig, what) {
  const got = await chain.call(to, data, { from });
  const sel = await chain.selector(errorSig);
  check(!got.ok && got.data.startsWith(sel), `${what}: expected ${errorSig}, got ${JSON.stringify(got)}`);
  let sent = false;
  try { await chain.send(from, to, data); sent = true; } catch (e) { /* reverted, as expected */ }
  check(!sent, `${what}: the transaction went through`);
}

// A test's main: body(chain) on a fresh anvil, stopped afterwards; prints
// "NAME: N checks passed" (N from checks()) or fails the process with the reason.
function runOnChain(name, body, checks) {
  (async () => {
    const chain = await Chain.start();
    try {
      await body(chain);
    } finally {
      chain.stop();
    }
    console.log(`${name}: ${checks()} checks passed`);
  })().catch((e) => {
    console.error(`${name} FAILED:`, e.message);
    process.exit(1);
  });
}

module.exports = { Chain, word, addressWord, stringTail, encodeArgs, words, decodeString, tool, solc, ROOT,
                   runOnChain, revertsWith };
