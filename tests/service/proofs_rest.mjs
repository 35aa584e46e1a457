// proofs_rest.mjs - proofs of new inputs over REST, with the real server:
//   node proofs_rest.mjs ZKML_REGISTRY FIXTURES
// Uploads iris_mlp (4 -> 16 -> 3), then checks every route and error of
// POST /models/{task}/versions/{n}/proofs and GET .../proofs/{id} against
// independent oracles: snarkjs verifies each proof with the version's
// verification_key.json, the exported Verifier.sol (compiled by solcjs, on
// anvil) accepts the result's calldata and refuses it tampered, circomlibjs
// recomputes the input commitment, ipfs-unixfs-importer the input's CID, and
// the float outputs of tests/fixtures (numpy) the prediction. Then a restart:
// proofs still queued when the service stopped are proven after it starts.
import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const require = createRequire(import.meta.url)
const { Chain, solc, ROOT } = require('../evm/chain.js')
const snarkjs = require(join(ROOT, 'node_modules', 'snarkjs'))
const { buildPoseidon } = require(join(ROOT, 'node_modules', 'circomlibjs'))
const { importer } = await import('ipfs-unixfs-importer')
const { MemoryBlockstore } = await import('blockstore-core/memory')

const [bin, fixtures] = process.argv.slice(2)
const work = mkdtempSync(join(tmpdir(), 'proofs-rest-'))
let server = null
let failures = 0
function check (ok, what) {
  if (!ok) failures++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
}

async function start (extra = {}) {
  const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(work, 'data')], {
    env: { ...process.env, ZKML_WORKERS: '2', ZKML_EVAL_ROWS: '4', ZKML_CHAIN: 'none', ZKML_API_TOKEN: '', ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const base = await new Promise((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (d) => {
      out += d
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/)
      if (m) resolve(m[0])
    })
    proc.on('exit', (code) => reject(new Error(`server exited (${code})`)))
  })
  server = { proc, base }
  return base
}

async function stop () {
  if (!server) return
  const exited = new Promise((resolve) => server.proc.on('exit', resolve))
  server.proc.kill('SIGTERM')
  await exited
  server = null
}

async function http (method, path, body, headers = {}) {
  const res = await fetch(server.base + path, {
    method, headers, body: typeof body === 'string' ? body : body && JSON.stringify(body),
  })
  const text = await res.text()
  let json = null
  try { json = JSON.parse(text) } catch { }
  return { status: res.status, json, text }
}

async function waitJob (task, version) {
  for (let i = 0; i < 1200; i++) {
    const { json } = await http('GET', `/models/${task}/status?version=${version}`)
    if (json.state === 'done' || json.state === 'failed') return json
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${task} v${version} did not finish`)
}

async function waitProof (url) {
  for (let i = 0; i < 600; i++) {
    const { json } = await http('GET', url)
    if (json.state === 'done' || json.state === 'failed') return json
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not finish`)
}

// The canonical JSON of docs/ARCHITECTURE.md, from its definition: each
// value's float32 with the fewest "%.*g" digits that read back to it.
function canonical (xs) {
  const num = (x) => {
    const f = Math.fround(x)
    if (f === 0) return '0'
    for (let d = 1; d <= 9; d++) {
      const s = cFormat(f, d)
      if (Math.fround(Number(s)) === f) return s
    }
  }
  return `{"input_data":[[${xs.map(num).join(',')}]]}`
}
// C's "%.*g" for the values of these tests (none needs an exponent: checked).
function cFormat (f, d) {
  const s = f.toPrecision(d)
  if (s.includes('e')) throw new Error('test value needs an exponent: ' + s)
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s
}

async function cidOf (bytes) {
  const opts = { profile: 'unixfs-v0-2015', cidVersion: 0, rawLeaves: false }
  for await (const entry of importer([{ content: bytes }], new MemoryBlockstore(), opts)) return entry.cid.toString()
}

// Uploads iris_mlp as task with the input visibility given; waits for its job.
async function uploadIris (task, visibility) {
  const form = new FormData()
  form.append('task_id', task)
  form.append('model', new Blob([readFileSync(join(fixtures, 'iris_mlp.onnx'))]), 'iris_mlp.onnx')
  form.append('data', new Blob([readFileSync(join(fixtures, 'iris_test.csv'))]), 'iris_test.csv')
  form.append('input_visibility', visibility)
  const res = await fetch(server.base + '/models', { method: 'POST', body: form })
  check(res.status === 202, `upload of iris_mlp as ${task} (${visibility} input) answers 202`)
  const job = await waitJob(task, 1)
  check(job.state === 'done', `${task} version 1 is done (${job.error})`)
}

// The packed input of docs/COMMITMENTS.md (7 bits a value, offset 0, scale 4).
function packInput (xs) {
  let packed = 0n
  xs.map((x) => BigInt(Math.round(Math.fround(x) * 16))).forEach((v, i) => { packed += v << BigInt(7 * i) })
  return packed
}

try {
  await start()
  const csv = readFileSync(join(fixtures, 'iris_test.csv'))
  await uploadIris('iris', 'hashed')
  let res

  // A version whose job is not done: 409 naming its state.
  const form2 = new FormData()
  form2.append('task_id', 'iris')
  form2.append('model', new Blob([readFileSync(join(fixtures, 'iris_linear.onnx'))]), 'iris_linear.onnx')
  form2.append('data', new Blob([csv]), 'iris_test.csv')
  res = await fetch(server.base + '/models', { method: 'POST', body: form2 })
  let r = await http('POST', '/models/iris/versions/2/proofs', { input_data: [[5, 3, 1, 0.2]] })
  check(r.status === 409 && r.json.code === 'conflict' && /is (queued|running)/.test(r.json.error),
    `a version not done: 409 with its state (${r.status} ${r.text})`)

  // Bad input, each named.
  const P = '/models/iris/versions/1/proofs'
  const bad = [
    [{ input_data: [[1, 2, 3]] }, 400, /expected shape \[1, 4\]/],
    [{ input_data: [1, 2, 3, 4] }, 400, /expected shape \[1, 4\]/],
    [{ input_data: [[1, 2, 'x', 4]] }, 400, /input_data\[0\]\[2\]: expected a number/],
    ['{"input_data": [[1, 2, 1e999, 4]]}', 400, /input_data\[0\]\[2\]: inf is not a finite number/],
    [{ input_data: [[1, 2, 300, 4]] }, 400, /input_data\[0\]\[2\]: 300 is outside the input's calibrated range/],
    [{ input_data: [[1, -5, 3, 4]] }, 400, /input_data\[0\]\[1\]: -5 is outside/],
    ['{"input_data": [[1, 2, NaN, 4]]}', 400, /not a JSON object/],
    [{ inputs: [[1, 2, 3, 4]] }, 400, /input_data is required/],
    [{ input_data: [[1, 2, 3, 4]], output_data: [[1, 2]] }, 400, /output_data: expected shape \[1, 3\]/],
    ['x'.repeat(2 << 20), 413, /over/],
  ]
  for (const [body, status, re] of bad) {
    r = await http('POST', P, body)
    check(r.status === status && re.test(r.json && r.json.error), `bad input -> ${status} ${re} (${r.status} ${r.text.slice(0, 160)})`)
  }
  r = await http('POST', '/models/nosuch/versions/1/proofs', { input_data: [[1, 2, 3, 4]] })
  check(r.status === 404, `unknown task: 404 (${r.status})`)
  r = await http('POST', '/models/iris/versions/7/proofs', { input_data: [[1, 2, 3, 4]] })
  check(r.status === 404, `unknown version: 404 (${r.status})`)
  r = await http('GET', P + '/0123456789abcdef0123456789abcdef')
  check(r.status === 404, `unknown proof id: 404 (${r.status})`)
  r = await http('GET', P + '/..%2F..%2Fetc')
  check(r.status === 404 || r.status === 400, `a path as proof id: ${r.status}`)
  r = await http('GET', P)
  check(r.status === 405, `GET on the proofs collection: 405 (${r.status})`)

  // A proof of CSV row 0 with ?wait=1 (the default wait is 2 s: 202 is allowed under load).
  const row0 = csv.toString().split('\n')[1].split(',').slice(0, 4).map(Number)
  r = await http('POST', P + '?wait=1', { input_data: [row0] })
  check(r.status === 200 || r.status === 202, `POST ?wait=1: 200 or 202 (${r.status})`)
  check(/^[0-9a-f]{32}$/.test(r.json.proof_id) && r.json.status_url === `${P}/${r.json.proof_id}`,
    'proof_id is 32 hex digits and status_url names it')
  let proof = r.status === 200 ? r.json : await waitProof(r.json.status_url)
  check(proof.state === 'done', `the proof is done (${proof.error})`)
  const result = proof.result
  const again = await http('GET', r.json.status_url)
  check(again.status === 200 && JSON.stringify(again.json) === JSON.stringify(proof), 'GET answers the same proof')

  // Independent oracles.
  const vk = JSON.parse((await http('GET', '/models/iris/artifacts/verification_key.json?version=1')).text)
  check(await snarkjs.groth16.verify(vk, result.public_signals, result.proof), 'snarkjs verifies the proof')
  const forged = [...result.public_signals]
  forged[0] = (BigInt(forged[0]) + 1n).toString()
  check(!(await snarkjs.groth16.verify(vk, forged, result.proof)), 'snarkjs refuses a changed output signal')
  const expected = readFileSync(join(fixtures, 'iris_mlp_expected.csv'), 'utf8').trim().split('\n')
  const floats = expected[1].split(',').map(Number)
  const argmax = (a) => a.indexOf(Math.max(...a))
  check(result.predicted_class === argmax(floats), `proven class ${result.predicted_class} is numpy's ${argmax(floats)}`)
  check(result.dequantized.every((v, i) => Math.abs(v - floats[i]) < 1), `proven outputs ${result.dequantized} near numpy's ${floats}`)

  const poseidon = await buildPoseidon()
  const commitment = poseidon.F.toObject(poseidon([packInput(row0)], 1n)).toString()
  check(result.input_visibility === 'hashed' && result.input_commitment === commitment,
    `input commitment is circomlibjs's poseidon of the packed input (${commitment})`)
  check(result.input === null && result.input_packed === null, 'a hashed input is not shown')
  const text = canonical(row0)
  check(result.input_cid === await cidOf(Buffer.from(text)), `input_cid is ipfs-unixfs-importer's CID of ${text}`)

  // The exported verifier on anvil.
  const chain = await Chain.start()
  try {
    writeFileSync(join(work, 'Verifier.sol'), (await http('GET', '/models/iris/artifacts/Verifier.sol?version=1')).text)
    const compiled = solc(join(work, 'Verifier.sol'), join(work, 'solc.json')).Groth16Verifier
    const { address } = await chain.deploy(chain.accounts[0], compiled.bytecode)
    const ok = await chain.call(address, result.calldata.hex)
    check(ok.ok && BigInt(ok.data) === 1n, `Verifier.sol on anvil accepts the calldata (${ok.data})`)
    const hex = result.calldata.hex
    const tampered = hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0')
    const no = await chain.call(address, tampered)
    check(!no.ok || BigInt(no.data) === 0n, 'Verifier.sol refuses a changed public signal')
  } finally {
    chain.stop()
  }

  // output_data: the proven outputs match; another input's do not (not faked: the proof says so).
  r = await http('POST', P + '?wait=1', { input_data: [row0], output_data: [result.dequantized] })
  proof = r.status === 200 ? r.json : await waitProof(r.json.status_url)
  check(proof.result.output_check.matches === true, 'output_data equal to the proven outputs matches')
  const other = csv.toString().split('\n')[45].split(',').slice(0, 4).map(Number)
  r = await http('POST', P + '?wait=1', { input_data: [other], output_data: [result.dequantized] })
  proof = r.status === 200 ? r.json : await waitProof(r.json.status_url)
  const oc = proof.result.output_check
  check(proof.state === 'done' && oc.matches === false && oc.first_mismatch !== null &&
        oc.first_mismatch.proven === proof.result.values[oc.first_mismatch.index],
  `another input's outputs differ from output_data: matches false at ${oc.first_mismatch && oc.first_mismatch.index}`)
  check(await snarkjs.groth16.verify(vk, proof.result.public_signals, proof.result.proof), 'snarkjs verifies that proof too')

  // The input as the version's input_visibility shows it: public (the input and
  // its packed signal) and private (nothing, not even its CID).
  await uploadIris('irispub', 'public')
  await uploadIris('irispriv', 'private')
  r = await http('POST', '/models/irispub/versions/1/proofs?wait=1', { input_data: [row0] })
  proof = r.status === 200 ? r.json : await waitProof(r.json.status_url)
  let res2 = proof.result
  const vkPub = JSON.parse((await http('GET', '/models/irispub/artifacts/verification_key.json?version=1')).text)
  check(await snarkjs.groth16.verify(vkPub, res2.public_signals, res2.proof), 'snarkjs verifies a public-input proof')
  check(res2.input_visibility === 'public' && res2.input_commitment === null &&
        JSON.stringify(res2.input) === JSON.stringify({ input_data: [row0] }) &&
        res2.input_packed.length === 1 && res2.input_packed[0] === packInput(row0).toString() &&
        res2.public_signals.includes(res2.input_packed[0]),
  `a public input is shown with its packed signal (${res2.input_packed})`)
  check(res2.input_cid === await cidOf(Buffer.from(text)), 'a public input has its CID')
  r = await http('POST', '/models/irispriv/versions/1/proofs?wait=1', { input_data: [row0] })
  proof = r.status === 200 ? r.json : await waitProof(r.json.status_url)
  res2 = proof.result
  const vkPriv = JSON.parse((await http('GET', '/models/irispriv/artifacts/verification_key.json?version=1')).text)
  check(await snarkjs.groth16.verify(vkPriv, res2.public_signals, res2.proof), 'snarkjs verifies a private-input proof')
  check(res2.input_visibility === 'private' && res2.input === null && res2.input_packed === null &&
        res2.input_commitment === null && res2.input_cid === null && res2.public_signals.length === 1,
  'a private input shows nothing: no input, packed signal, commitment or CID')

  // Restart: proofs queued when the service stops are proven after it starts.
  // The workers are stopped (SIGSTOP) first, so that the proofs are still
  // queued when SIGTERM stops the service (its supervisor SIGKILLs them).
  const children = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
  for (const supervisor of children(server.proc.pid)) {
    for (const worker of children(supervisor)) process.kill(Number(worker), 'SIGSTOP')
  }
  const ids = []
  for (let i = 0; i < 12; i++) {
    r = await http('POST', P, { input_data: [[4 + i / 10, 3, 1.5, 0.2]] })
    ids.push(r.json.status_url)
  }
  await stop()
  const left = Number(execFileSync('/usr/bin/python3', ['-c',
    "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT COUNT(*) FROM proofs WHERE state IN ('queued', 'running')\").fetchone()[0])",
    join(work, 'data', 'registry.db')], { encoding: 'utf8' }))
  check(left > 0, `${left} proofs were still queued when the service stopped`)
  // Restarted with a token and a 1 ms wait: POST needs the token (GET with the
  // id does not), and ?wait=1 answers 202 once the wait is over.
  await start({ ZKML_API_TOKEN: 'proof-token', ZKML_SYNC_PROOF_MS: '1' })
  r = await http('POST', P + '?wait=1', { input_data: [row0] })
  check(r.status === 401, `POST without the token: 401 (${r.status})`)
  r = await http('POST', P + '?wait=1', { input_data: [row0] }, { Authorization: 'Bearer proof-token' })
  check(r.status === 202 && r.json.state !== 'done', `?wait=1 past ZKML_SYNC_PROOF_MS: 202 (${r.status} ${r.json && r.json.state})`)
  ids.push(r.json.status_url)
  let done = 0
  for (const url of ids) done += (await waitProof(url)).state === 'done' ? 1 : 0
  check(done === ids.length, `after a restart all ${ids.length} proofs are done (${done})`)
} catch (e) {
  check(false, e.stack)
} finally {
  await stop()
  rmSync(work, { recursive: true, force: true })
}
console.log(failures ? `${failures} failed` : 'all passed')
process.exit(failures ? 1 : 0)
