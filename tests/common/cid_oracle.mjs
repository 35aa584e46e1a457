// cid_oracle.mjs - checks `zkml-registry cid` (common/cid.c) against npm's
// ipfs-unixfs-importer with ipfs add's defaults (CIDv0, 256 KiB chunks,
// balanced layout of 174 links, leaves not raw), on random files of the
// given set:
//   node cid_oracle.mjs ZKML_REGISTRY small|big
// small: 0, 1, 262144 and 262145 bytes, a canonical JSON input, and the
// known `hello world\n` vector, plus the command's errors; big: 10 MB, 50 MB
// (two levels of parents) and exactly 174 chunks (one full parent).
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core/memory'

const [bin, set] = process.argv.slice(2)
const MB = 1024 * 1024
const sets = {
  small: [0, 1, 262144, 262145],
  big: [10 * MB, 50 * MB, 174 * 262144],
}
if (!bin || !sets[set]) {
  console.error('usage: node cid_oracle.mjs ZKML_REGISTRY small|big')
  process.exit(2)
}

let failures = 0
function check (ok, what) {
  if (!ok) {
    failures++
    console.error(`FAIL ${what}`)
  }
}

// The importer's profile of kubo's `ipfs add` defaults (256 KiB chunks, 174
// links a node, links before data); CIDv0 and non-raw leaves said explicitly.
async function oracle (bytes) {
  const opts = { profile: 'unixfs-v0-2015', cidVersion: 0, rawLeaves: false }
  for await (const entry of importer([{ content: bytes }], new MemoryBlockstore(), opts))
    return entry.cid.toString()
}

function ours (path) {
  return execFileSync(bin, ['cid', path], { encoding: 'utf8' }).trim()
}

const dir = mkdtempSync(join(tmpdir(), 'zkml-cid-'))
try {
  const inputs = sets[set].map((n) => [`${n} random bytes`, randomBytes(n)])
  if (set === 'small') {
    // A proven input as the registry writes it: canonical JSON, sorted keys, no spaces.
    const json = JSON.stringify({ input_data: [[5.1, 3.5, 1.4, 0.2]], output_data: [[1, 0, 0]] })
    inputs.push(['canonical JSON input', Buffer.from(json)])
    inputs.push(['hello world', Buffer.from('hello world\n')])
  }
  for (const [what, bytes] of inputs) {
    const path = join(dir, 'f')
    writeFileSync(path, bytes)
    const want = await oracle(bytes)
    const got = ours(path)
    check(got === want, `${what}: zkml-registry cid ${got}, ipfs-unixfs-importer ${want}`)
    console.log(`${what}: ${got}`)
  }
  if (set === 'small') {
    check(ours(join(dir, 'f')) === 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o',
      'the known CID of hello world\\n')
    const missing = spawnSync(bin, ['cid', join(dir, 'missing')], { encoding: 'utf8' })
    check(missing.status === 2 && missing.stderr.includes('missing'),
      `a missing file: exit ${missing.status}, ${missing.stderr}`)
    const none = spawnSync(bin, ['cid'], { encoding: 'utf8' })
    check(none.status === 2 && none.stderr.includes('usage'), `no file: exit ${none.status}`)
    const help = spawnSync(bin, ['cid', '--help'], { encoding: 'utf8' })
    check(help.status === 0 && help.stdout.includes('ipfs add'), `--help: exit ${help.status}`)
    writeFileSync(join(dir, 'g'), '')
    const two = execFileSync(bin, ['cid', join(dir, 'f'), join(dir, 'g')], { encoding: 'utf8' })
    check(two === `QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o  ${join(dir, 'f')}\n` +
      `QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH  ${join(dir, 'g')}\n`, `two files: ${two}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (failures) {
  console.error(`${failures} check(s) failed`)
  process.exit(1)
}
console.log(`cid_oracle ${set}: all CIDs match ipfs-unixfs-importer`)
