// proofs.mjs - load on POST /models/{task}/versions/{n}/proofs (issue 13, part 4):
//   node bench/proofs.mjs ZKML_REGISTRY [N]
// Serves a fresh data dir with 2 workers, uploads iris_mlp (4 -> 16 -> 3) and
// mlp784 (784 -> 56 -> 10), and for each: N proofs one after another with
// ?wait=1 (end-to-end latency, p50/p99), then N proofs from 8 clients at once
// (proofs per second) while one client polls a proof's status (GET latency,
// p50/p99), and the CPU time the service's processes spent per sequential
// proof (/proc: the server, the supervisor, the workers and their reaped
// children), a figure the machine's load does not inflate. Prints a Markdown
// table for bench/RESULTS.md.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const [bin, nText] = process.argv.slice(2)
const N = Number(nText || 100)
const ROOT = new URL('..', import.meta.url).pathname
const F = join(ROOT, 'tests', 'fixtures')
const work = mkdtempSync(join(tmpdir(), 'bench-proofs-'))
const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(work, 'data')], {
  env: { ...process.env, ZKML_WORKERS: '2', ZKML_EVAL_ROWS: '4', ZKML_CHAIN: 'none', ZKML_API_TOKEN: '' },
  stdio: ['ignore', 'pipe', 'inherit'],
})
const base = await new Promise((resolve, reject) => {
  let out = ''
  proc.stdout.on('data', (d) => { out += d; const m = out.match(/http:\/\/127\.0\.0\.1:\d+/); if (m) resolve(m[0]) })
  proc.on('exit', (c) => reject(new Error(`server exited (${c})`)))
})

const ms = () => Number(process.hrtime.bigint()) / 1e6
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))] }
// utime + stime + cutime + cstime of pid and its descendants, in ms.
function cpuMs (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  const kids = `/proc/${pid}/task/${pid}/children`
  let ms = ticks * 10 /* CLK_TCK 100 */
  if (existsSync(kids)) {
    for (const k of readFileSync(kids, 'utf8').trim().split(/\s+/).filter(Boolean)) ms += cpuMs(k)
  }
  return ms
}
const get = async (path) => (await fetch(base + path)).json()

async function upload (task, model, csv) {
  const form = new FormData()
  form.append('task_id', task)
  form.append('model', new Blob([readFileSync(join(F, model))]), model)
  form.append('data', new Blob([readFileSync(join(F, csv))]), csv)
  await fetch(base + '/models', { method: 'POST', body: form })
  for (;;) {
    const s = await get(`/models/${task}/status`)
    if (s.state === 'done') return
    if (s.state === 'failed') throw new Error(`${task}: ${s.error}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

function rows (csv, n) {
  const lines = readFileSync(join(F, csv), 'utf8').trim().split('\n').slice(1)
  return lines.map((l) => l.split(',').slice(0, n).map(Number))
}

async function prove (task, x) {
  const t0 = ms()
  const res = await fetch(`${base}/models/${task}/versions/1/proofs?wait=1`, {
    method: 'POST', body: JSON.stringify({ input_data: [x] }),
  })
  let body = await res.json()
  while (body.state !== 'done' && body.state !== 'failed') body = await get(body.status_url)
  if (body.state !== 'done') throw new Error(`${task}: ${body.error}`)
  return { ms: ms() - t0, url: body.status_url }
}

async function measure (task, inputs) {
  const seq = []
  let url = null
  const cpu0 = cpuMs(proc.pid)
  for (let i = 0; i < N; i++) {
    const r = await prove(task, inputs[i % inputs.length])
    seq.push(r.ms)
    url = r.url
  }
  const cpu = (cpuMs(proc.pid) - cpu0) / N
  const polls = []
  let running = true
  const poller = (async () => {
    while (running) { const t0 = ms(); await get(url); polls.push(ms() - t0) }
  })()
  let next = 0
  const t0 = ms()
  const client = async () => { while (next < N) { const i = next++; await prove(task, inputs[i % inputs.length]) } }
  await Promise.all(Array.from({ length: 8 }, client))
  const elapsed = ms() - t0
  running = false
  await poller
  return { task, cpu, p50: pct(seq, 50), p99: pct(seq, 99), rate: N / (elapsed / 1000), pollP50: pct(polls, 50), pollP99: pct(polls, 99), polls: polls.length }
}

try {
  await upload('iris', 'iris_mlp.onnx', 'iris_test.csv')
  await upload('mlp784', 'mlp784.onnx', 'mlp784_test.csv')
  const out = [await measure('iris', rows('iris_test.csv', 4)), await measure('mlp784', rows('mlp784_test.csv', 784))]
  console.log(`| model | proofs | p50 ms | p99 ms | CPU ms / proof | proofs/s (8 clients) | status poll p50 ms | p99 ms (polls) |`)
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`)
  for (const r of out) {
    console.log(`| ${r.task} | ${N} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpu.toFixed(1)} | ${r.rate.toFixed(1)} | ${r.pollP50.toFixed(2)} | ${r.pollP99.toFixed(2)} (${r.polls}) |`)
  }
} finally {
  proc.kill('SIGTERM')
  await new Promise((r) => proc.on('exit', r))
  rmSync(work, { recursive: true, force: true })
}
