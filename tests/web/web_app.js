// web_app.js - the web app end to end in headless Chromium (playwright-core,
// Debian's chromium) against a real `zkml-registry serve` with its local chain
// (ZKML_CHAIN=anvil):
//   - the server's limits (GET /config) stop a too-large upload before it is sent;
//   - a failing upload shows the server's own message (the same text a direct
//     POST of those bytes gets);
//   - an upload through the page: live progress (the pipeline's processes are
//     stopped with SIGSTOP until the page shows the job queued, so the page is
//     seen changing without any timing), done, the prediction decoded
//     from the proof equal to the server's output.json, then Groth16
//     verification in the browser (snarkjs) says valid, and invalid when the
//     server hands out a tampered public signal;
//   - the Tasks, Task (its on-chain record equal to GET .../versions/onchain)
//     and Lookup pages; the language switch persists;
//   - the proven metric: the Task page's leaderboard ranks v1 with the value
//     GET .../leaderboard gives and its on-chain evaluation record (recorded:
//     chain id, registry, transaction; skipped: the reason), the Tasks page
//     shows that value as the task's proven metric, and an unranked version is
//     listed with the server's reason;
//   - a trusted-setup ceremony on a server with an API token: the form's
//     ceremony box makes the job wait in awaiting_contributions; the job page
//     shows the transcript GET .../ceremony gives; the latest key needs the
//     token (the server's 401 shown), and with it downloads the server's key;
//     a stale key contributed with snarkjs shows the server's 400; a fresh one
//     is accepted with the hash snarkjs printed; two contributions to the same
//     key race, the page's loses: it shows the server's 409 naming the
//     winner's hash, says the user's key is stale, and lists the winner in its
//     transcript; finalize without the token shows the 401, with it and a
//     beacon the job goes on to done;
//   - what the proof shows: an upload through the form with input_visibility
//     public and param_visibility hashed gives a version whose settings.json
//     has them, and its job page shows them; an rmse_threshold on a
//     classification task shows the server's 400 (the text a direct POST gets);
//   - axe-core finds no violation (every form control has an accessible name);
//   - no console errors but the failed requests the test provokes;
//   - without JavaScript the <noscript> form posts (its visibility choices
//     reach settings.json) and the server answers in HTML.
// Screenshots of every page go to OUT_DIR.
//
// usage: node web_app.js ZKML_REGISTRY MODEL.onnx DATA.csv WEB_NODE_MODULES OUT_DIR
'use strict';

const { execFile, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require(path.join(__dirname, '../../node_modules/playwright-core'));

const [bin, modelPath, csvPath, webModules, outDir] = process.argv.slice(2);
const axePath = path.join(webModules, 'axe-core/axe.min.js');
const snarkjs = path.join(webModules, '.bin/snarkjs');
const LIMIT_MB = 1; // the server's upload limit in this test
let failures = 0;
function check(cond, what) {
  if (!cond) {
    failures++;
    console.error(`FAILED: ${what}`);
  }
  return cond;
}

function startServer(dataDir, token = '', chain = 'anvil') {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
                              '--max-upload-mb', String(LIMIT_MB)], {
      env: { ...process.env, ZKML_CHAIN: chain, ZKML_API_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve({ child, base: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

// A fresh profile per context (launchPersistentContext owns --user-data-dir).
const profiles = [];
async function launch(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-chromium-'));
  profiles.push(dir);
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...options,
  });
}

// Console errors are failures, except "Failed to load resource" for a request
// the test provokes on purpose (expected(url) says which).
function watchConsole(page, expected) {
  page.on('pageerror', (e) => check(false, `page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url || '';
    if (/Failed to load resource/.test(m.text()) && expected(url)) return;
    check(false, `console error: ${m.text()} (${url})`);
  });
}

async function axe(page, what) {
  await page.addScriptTag({ path: axePath });
  const r = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } }));
  for (const v of r.violations)
    check(false, `axe on ${what}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  // Named explicitly: every form control has an accessible name.
  const unnamed = await page.evaluate(() => {
    const { axe } = window;
    axe.setup(document);
    const names = [...document.querySelectorAll('input, select, textarea, button')]
      .filter((e) => !axe.commons.text.accessibleTextVirtual(axe.utils.getNodeFromTree(e)).trim())
      .map((e) => e.outerHTML);
    axe.teardown();
    return names;
  });
  check(unnamed.length === 0, `controls without an accessible name on ${what}: ${unnamed}`);
}

// The server's pipeline processes (supervisor, workers): its descendants in
// /proc but the local chain (anvil), which the stopped pipeline does not use.
function descendants(pid) {
  const kids = new Map();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(Number(d));
  }
  const out = [];
  for (const todo = [pid]; todo.length;)
    for (const c of kids.get(todo.pop()) || []) out.push(c), todo.push(c);
  const comm = (p) => { try { return fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim(); } catch { return ''; } };
  return out.filter((p) => comm(p) !== 'anvil');
}

function signalPipeline(server, sig) {
  const pids = descendants(server.child.pid);
  check(pids.length > 0, 'the server has pipeline processes');
  for (const p of pids) process.kill(p, sig);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
}

async function serverMessageFor(base, fields) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, ...(Array.isArray(v) ? v : [v]));
  const r = await fetch(`${base}/models`, { method: 'POST', body: form, headers: { Accept: 'application/json' } });
  return (await r.json()).error;
}

async function uploadPage(page, base, server) {
  await page.goto(`${base}/upload`);
  await page.waitForSelector('#limit');
  await axe(page, 'upload');
  let posts = 0;
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/models')) posts++; });

  // Over the limit from GET /config: refused in the browser, nothing sent.
  const big = path.join(os.tmpdir(), `zkml-big-${process.pid}.onnx`);
  fs.writeFileSync(big, Buffer.alloc(LIMIT_MB * 1048576 + 1));
  await page.fill('#task_id', 'too-big');
  await page.setInputFiles('#model', big);
  await page.click('#submit');
  const tooBig = await page.textContent('#model-err');
  check(/over the server's limit of 1 MiB/.test(tooBig), `limit message: ${tooBig}`);
  fs.rmSync(big);

  // A model the server refuses: the page shows the server's own message.
  const junk = Buffer.from('this is not an ONNX protobuf');
  const want = await serverMessageFor(base, { task_id: 'junk', model: [new Blob([junk]), 'junk.onnx'] });
  await page.setInputFiles('#model', { name: 'junk.onnx', mimeType: 'application/octet-stream', buffer: junk });
  await page.fill('#task_id', 'junk');
  await page.click('#submit');
  await page.waitForFunction(() => document.querySelector('#upload-error').textContent.trim() !== '');
  const shown = await page.textContent('#upload-error');
  check(want && shown.includes(want), `server message shown: "${shown}", server says "${want}"`);
  check(posts === 1, `only the accepted draft was sent (${posts} POSTs)`);
  await shot(page, 'upload-error');

  // The real upload, both files dropped on the drop zone; the page moves on to the job.
  await page.fill('#task_id', 'iris-web');
  const files = [modelPath, csvPath].map((f) => [path.basename(f), fs.readFileSync(f).toString('base64')]);
  const drop = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const [name, b64] of list)
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
    return dt;
  }, files);
  await page.dispatchEvent('.drop', 'drop', { dataTransfer: drop });
  const chosen = await page.$$eval('#model, #data', (es) => es.map((e) => e.files[0]?.name));
  check(chosen.join() === files.map(([n]) => n).join(), `dropped files in their inputs: ${chosen}`);
  await page.fill('#sample', '0');
  await shot(page, 'upload');
  signalPipeline(server, 'SIGSTOP'); // the job stays queued until jobPage resumes it
  await page.click('#submit');
  await page.waitForURL(/\/jobs\/iris-web\/1$/);
}

async function jobPage(page, base, server) {
  await page.waitForSelector('#job-state[data-state="queued"]');
  await shot(page, 'job-queued');
  // Every state the job's label shows from now on, recorded as the page changes it.
  await page.evaluate(() => {
    window.seenStates = [];
    new MutationObserver(() => {
      const s = document.querySelector('#job-state')?.dataset.state;
      if (s && window.seenStates.at(-1) !== s) window.seenStates.push(s);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  signalPipeline(server, 'SIGCONT');
  await page.waitForSelector('#job-state[data-state="done"], #job-state[data-state="failed"]', { timeout: 300000 });
  const seen = await page.evaluate(() => window.seenStates);
  const state = await page.getAttribute('#job-state', 'data-state');
  check(state === 'done', `job state: ${state} ${await page.textContent('main')}`);
  check(seen.at(-1) === 'done', `live progress after queued: states seen ${seen}`);
  const steps = await page.$$eval('#steps tbody tr', (rs) => rs.map((r) => [r.dataset.step, r.dataset.state]));
  check(steps.length >= 9 && steps[0][0] === 'settings', `steps shown: ${steps}`);
  check(await page.getAttribute('#job-progress', 'value') === '100', 'progress bar full');
  await page.waitForSelector('#prediction-check');
  const prediction = await page.textContent('#prediction');
  // The browser's decoding of public.json agrees with the server's verify step
  // (verify.json) and the evaluator (output.json).
  const read = async (name) => (await fetch(`${base}/models/iris-web/artifacts/${name}?version=1`)).json();
  const [out, proven] = [await read('output.json'), await read('verify.json')];
  check(proven.valid && proven.predicted_class === out.predicted_class &&
        prediction.includes(`Predicted class: ${out.predicted_class}`),
        `decoded prediction "${prediction}" vs verify.json ${proven.predicted_class}, output.json ${out.predicted_class}`);
  check(await page.getAttribute('#prediction-check', 'data-check') === 'job.checkedHere',
        `decoded in the browser: ${prediction}`);
  await axe(page, 'job');
  await shot(page, 'job');

  // A server whose status reports other outputs than its proof: the page says so.
  await page.route('**/models/iris-web/status?version=1', async (route) => {
    const status = await (await route.fetch()).json();
    status.prediction.values[0] += 1;
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(status) });
  });
  await page.reload();
  await page.waitForSelector('#prediction-check');
  check(await page.getAttribute('#prediction-check', 'data-check') === 'job.mismatch',
        `a lying status is caught: ${await page.textContent('#prediction')}`);
  await shot(page, 'job-mismatch');
  await page.unroute('**/models/iris-web/status?version=1');
  await page.reload();
  await page.waitForSelector('#prediction-check');
  console.log(`job: states queued -> ${seen.join(' -> ')}; ${prediction.trim()}`);
}

async function verdict(page) {
  await page.click('#verify');
  await page.waitForSelector('#verdict[data-verdict="valid"], #verdict[data-verdict="invalid"], #verdict[data-verdict="error"]', { timeout: 120000 });
  return [await page.getAttribute('#verdict', 'data-verdict'), await page.textContent('#verdict')];
}

async function proofPage(page, base, scripts) {
  await page.click('#to-proof');
  await page.waitForURL(/\/proofs\/iris-web\/1$/);
  await page.waitForSelector('#artifacts li');
  const names = await page.$$eval('#artifacts a', (as) => as.map((a) => a.textContent));
  check(['proof.json', 'public.json', 'verification_key.json'].every((n) => names.includes(n)), `downloads: ${names}`);
  const model = await page.textContent('#artifacts li:has(a:text-is("model.onnx"))');
  check(/private/.test(model), `the model is marked private: ${model}`);
  const before = new Set(scripts);
  const [ok, okText] = await verdict(page);
  check(ok === 'valid', `honest proof: ${ok} ${okText}`);
  // snarkjs is fetched by the click, not by any page before it.
  const lazy = scripts.filter((u) => !before.has(u));
  check(lazy.length === 1, `scripts loaded by the verify click: ${lazy}`);
  await axe(page, 'proof');
  await shot(page, 'proof-valid');

  // A server that lies about one public signal: the browser must say invalid.
  await page.route('**/artifacts/public.json*', async (route) => {
    const signals = await (await route.fetch()).json();
    signals[0] = (BigInt(signals[0]) + 1n).toString();
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(signals) });
  });
  await page.reload();
  await page.waitForSelector('#verify');
  const [bad, badText] = await verdict(page);
  check(bad === 'invalid' && /Invalid/.test(badText), `tampered public signal: ${bad} ${badText}`);
  await shot(page, 'proof-tampered');
  await page.unroute('**/artifacts/public.json*');
}

// Accuracy as the pages show it: a percentage, then correct/rows.
const percent = (v) => new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 2 }).format(v);

async function otherPages(page, base, modelHash) {
  // The leaderboard as the API gives it: the done job's verified evaluation ranks v1.
  const board = await (await fetch(`${base}/models/iris-web/leaderboard`)).json();
  const best = board.groups?.[0]?.versions?.[0];
  check(best && best.version === 1 && best.metric === 'accuracy' && board.unranked.length === 0,
        `GET .../leaderboard ranks v1: ${JSON.stringify(board)}`);
  await page.goto(`${base}/`);
  await page.waitForSelector('#tasks');
  const row = await page.textContent('#tasks tbody');
  check(/iris-web/.test(row) && /done/.test(row), `tasks table: ${row}`);
  await page.waitForSelector('#tasks td.metric span');
  const proven = await page.$eval('#tasks td.metric span', (s) => [s.dataset.value, s.dataset.version, s.textContent]);
  check(best && proven[0] === String(best.value) && proven[1] === '1' &&
        proven[2].includes(`${percent(best.value)} (${best.correct}/${best.rows})`),
        `Tasks page proven metric ${proven} vs leaderboard ${JSON.stringify(best)}`);
  check(/Proven metric/.test(await page.textContent('#tasks thead')), 'the metric column says proven');
  await axe(page, 'tasks');
  await shot(page, 'tasks');

  await page.click('text=iris-web');
  await page.waitForURL(/\/tasks\/iris-web$/);
  await page.waitForSelector('#timeline li');
  const timeline = await page.textContent('#timeline');
  check(/iris-web\/v1/.test(timeline) && timeline.includes(modelHash), `timeline: ${timeline}`);
  // The on-chain record as the chain gives it (GET .../versions/onchain reads anvil).
  const chain = await (await fetch(`${base}/models/iris-web/versions/onchain`)).json();
  await page.waitForSelector('#onchain, #onchain-unavailable');
  const onchain = await page.textContent('main');
  const v1 = chain.versions?.[0];
  check(v1 && [chain.chain_id, chain.registry_address, v1.verifier, v1.registrant].every((x) => onchain.includes(String(x))),
        `on-chain record shown (chain id, registry, verifier, registrant): ${JSON.stringify(chain)}`);
  await page.waitForSelector('table.leaderboard tbody tr, #board-none');
  const ranked = await page.$$eval('table.leaderboard', (ts) => ts.map((t) => [t.dataset.commitment,
    [...t.querySelectorAll('tbody tr')].map((r) => [r.dataset.version, r.dataset.value, r.textContent])]));
  const shownRow = ranked[0]?.[1]?.[0];
  check(best && ranked.length === board.groups.length && ranked[0][0] === board.groups[0].dataset_commitment &&
        shownRow[0] === '1' && shownRow[1] === String(best.value) &&
        shownRow[2].includes(`${percent(best.value)} (${best.correct}/${best.rows})`),
        `Task page leaderboard ${JSON.stringify(ranked)} vs ${JSON.stringify(board)}`);
  // Its on-chain evaluation record as the leaderboard gives it, with where it
  // lives as the chain gives it (GET .../versions/onchain).
  const oc = best?.onchain ?? {};
  const cell = await page.$eval('table.leaderboard tbody tr td.onchain', (td) => [td.dataset.status, td.textContent]);
  check(oc.status === 'recorded' && oc.evaluate_tx && cell[0] === 'recorded' &&
        oc.chain_id === chain.chain_id && oc.registry_address === chain.registry_address &&
        [`recorded on chain ${oc.chain_id}`, oc.registry_address, oc.evaluate_tx, oc.block].every((x) => cell[1].includes(String(x))),
        `leaderboard on-chain cell ${cell} vs ${JSON.stringify(oc)}`);
  // The contract's live bestVersion for the group's rows, as the leaderboard reads it.
  const ob = board.groups[0]?.onchain_best ?? {};
  const chainBest = await page.$eval('table.leaderboard + p.chain-best', (p) => [p.dataset.status, p.textContent]);
  check(ob.status === 'recorded' && chainBest[0] === 'recorded' && chainBest[1].includes(`v${ob.version}`) &&
        chainBest[1].includes(`number ${ob.onchain_version}`),
        `leaderboard's chain best ${chainBest} vs ${JSON.stringify(ob)}`);
  await page.click('table.leaderboard td.onchain summary');
  await axe(page, 'task');
  await shot(page, 'task');

  // A version whose evaluation was not recorded on chain: the server's reason.
  const skipped = 'no evaluation.json: test';
  await page.route('**/models/iris-web/leaderboard', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ ...board, groups: [{ ...board.groups[0], versions: [{ ...best,
      onchain: { status: 'skipped', reason: skipped } }] }] }) }));
  await page.reload();
  await page.waitForSelector('td.onchain[data-status="skipped"]');
  const notRecorded = await page.textContent('td.onchain');
  check(notRecorded.trim() === `not recorded: ${skipped}`, `skipped on-chain record: ${notRecorded}`);
  await page.unroute('**/models/iris-web/leaderboard');

  // A version the server leaves unranked: the page shows it with the server's reason,
  // and the Tasks page says "none" for a task with no ranked version.
  const reason = 'the evaluation proof does not verify: test';
  await page.route('**/models/iris-web/leaderboard', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({ task_id: 'iris-web', groups: [], unranked: [{ version: 1, reason }] }) }));
  await page.reload();
  await page.waitForSelector('#unranked li');
  const unranked = await page.textContent('#unranked li');
  check(unranked.includes(`v1: ${reason}`) && await page.$('#board-none') !== null, `unranked shown: ${unranked}`);
  await page.goto(`${base}/`);
  await page.waitForSelector('#tasks td.metric span');
  const none = await page.textContent('#tasks td.metric');
  check(none.trim() === 'none', `Tasks page without a ranked version: ${none}`);
  await page.unroute('**/models/iris-web/leaderboard');

  // A job that does not exist: the server's message, and no more polling.
  const missing = await (await fetch(`${base}/models/iris-web/status?version=99`)).json();
  await page.goto(`${base}/jobs/iris-web/99`);
  await page.waitForSelector('#poll-error');
  const shown = await page.textContent('#poll-error');
  check(missing.error && shown.includes(missing.error), `job error "${shown}", server says "${missing.error}"`);

  await page.goto(`${base}/lookup`);
  await page.fill('#hash', 'not-a-hash');
  await page.click('#lookup');
  check(/64 hexadecimal digits/.test(await page.textContent('#hash-err')), 'bad hash refused');
  await page.fill('#hash', modelHash);
  await page.click('#lookup');
  // The table lists the registrations the route gives (iris-web v1).
  const answer = await (await fetch(`${base}/models/by-hash/${modelHash}/onchain`)).json();
  const want = answer.registrations || [];
  await page.waitForSelector('#registrations');
  const rows = await page.$$eval('#registrations tbody tr', (rs) => rs.map((r) => r.textContent));
  check(want.length === 1 && rows.length === 1 && rows[0].includes('iris-web') &&
        rows[0].includes(String(answer.chain_id)) && rows[0].includes(want[0].registrant),
        `lookup rows ${rows} vs ${JSON.stringify(answer)}`);
  await axe(page, 'lookup');
  await shot(page, 'lookup');
}

async function language(page, base) {
  await page.goto(`${base}/upload`);
  await page.waitForSelector('#limit');
  // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.classList.contains('skip')), 'Tab reaches the skip link');
  await page.keyboard.press('Enter');
  check(await page.evaluate(() => document.activeElement.id) === 'content', 'the skip link focuses the content');
  await page.selectOption('#lang', 'es');
  check(/Tareas/.test(await page.textContent('nav')), 'Spanish navigation');
  check(await page.getAttribute('html', 'lang') === 'es', 'html lang follows the switch');
  await page.reload();
  await page.waitForSelector('#limit');
  check(/Subir un modelo/.test(await page.textContent('h1')), 'the choice persists across a reload');
  await axe(page, 'upload (es)');
  await shot(page, 'upload-es');
  await page.selectOption('#lang', 'en');
  check(/Upload a model/.test(await page.textContent('h1')), 'back to English');
}

// The upload form's visibility selects and rmse_threshold reach the server.
async function visibilityUpload(page, base) {
  const files = { model: [new Blob([fs.readFileSync(modelPath)]), 'iris.onnx'],
                  data: [new Blob([fs.readFileSync(csvPath)]), 'iris.csv'] };
  const want = await serverMessageFor(base, { task_id: 'iris-rmse', ...files, rmse_threshold: '0.5' });
  await page.goto(`${base}/upload`);
  await page.waitForSelector('#limit');
  const defaults = await page.$$eval('#input_visibility, #output_visibility, #param_visibility',
                                     (es) => es.map((e) => e.value));
  check(defaults.join() === 'hashed,public,fixed', `the server's defaults preselected: ${defaults}`);
  await page.fill('#task_id', 'iris-rmse');
  await page.setInputFiles('#model', modelPath);
  await page.setInputFiles('#data', csvPath);
  await page.fill('#rmse_threshold', '0.5');
  await page.click('#submit');
  // Refused: the message; accepted (the field not sent): on to the job page.
  await page.waitForFunction(() => document.querySelector('#upload-error')?.textContent.trim() ||
                                   location.pathname !== '/upload');
  const shown = await page.evaluate(() => document.querySelector('#upload-error')?.textContent ?? location.pathname);
  check(/rmse_threshold is for a regression target/.test(want) && shown.includes(want),
        `rmse_threshold on a classification task: shown "${shown}", server says "${want}"`);
  await shot(page, 'upload-rmse-refused');

  if (shown.startsWith('/jobs/')) await page.goto(`${base}/upload`);
  await page.waitForSelector('#limit');
  await page.fill('#task_id', 'iris-hashed');
  await page.setInputFiles('#model', modelPath);
  await page.setInputFiles('#data', csvPath);
  await page.fill('#rmse_threshold', '');
  await page.selectOption('#input_visibility', 'public');
  await page.selectOption('#param_visibility', 'hashed');
  await page.click('#submit');
  await page.waitForURL(/\/jobs\/iris-hashed\/1$/);
  await page.waitForSelector('#job-state[data-state="done"], #job-state[data-state="failed"]', { timeout: 300000 });
  const state = await page.getAttribute('#job-state', 'data-state');
  check(state === 'done', `hashed-parameter job: ${state} ${await page.textContent('main')}`);
  const settings = await (await fetch(`${base}/models/iris-hashed/artifacts/settings.json?version=1`)).json();
  const chosen = [settings.input_visibility, settings.output_visibility, settings.param_visibility].join();
  check(chosen === 'public,public,hashed' && settings.rmse_threshold === undefined,
        `settings.json from the form's choices: ${chosen}, rmse_threshold ${settings.rmse_threshold}`);
  await page.waitForSelector('#visibility');
  const listed = await page.$$eval('#visibility dd', (es) => es.map((e) => `${e.dataset.field}=${e.textContent}`));
  check(listed.join() === 'input_visibility=public,output_visibility=public,param_visibility=hashed',
        `the job page shows settings.json's visibilities: ${listed}`);
  await axe(page, 'job (hashed parameters)');
  await shot(page, 'job-hashed');
  console.log(`visibility: iris-hashed settings.json ${chosen}; refused: ${want}`);
}

async function withJavaScript(base, server) {
  const context = await launch({});
  const page = await context.newPage();
  const expected = (url) => url.endsWith('/models') || /\/status\?version=99$/.test(url);
  watchConsole(page, expected);
  const scripts = [];
  page.on('request', (r) => r.url().endsWith('.js') && scripts.push(r.url()));
  await uploadPage(page, base, server);
  await jobPage(page, base, server);
  await proofPage(page, base, scripts);
  const task = await (await fetch(`${base}/models/iris-web`)).json();
  await otherPages(page, base, task.versions[0].model_hash);
  await language(page, base);
  await visibilityUpload(page, base);
  await context.close();

  const dark = await launch({ colorScheme: 'dark' });
  const p = await dark.newPage();
  watchConsole(p, expected);
  await p.goto(`${base}/jobs/iris-web/1`);
  await p.waitForSelector('#prediction p');
  const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(bg === 'rgb(13, 17, 23)', `dark scheme background: ${bg}`);
  await axe(p, 'job (dark)');
  await shot(p, 'job-dark');
  await dark.close();
}

// snarkjs zkey contribute IN OUT: the hash snarkjs printed ("Contribution
// Hash:" then 16 groups of 8 hex digits), as one string.
function contribute(input, output, name) {
  return new Promise((resolve, reject) => {
    execFile(snarkjs, ['zkey', 'contribute', input, output, `--name=${name}`, `-e=entropy of ${name}`],
             (e, stdout, stderr) => {
               const printed = `${stdout}${stderr}`.split('Contribution Hash:')[1];
               if (e || !printed) return reject(new Error(`snarkjs zkey contribute: ${e?.message} ${stdout}${stderr}`));
               resolve(printed.match(/\b[0-9a-f]{8}\b/g).slice(0, 16).join(''));
             });
  });
}

// What the server answers to a request made directly: [status, body].
async function direct(url, init = {}) {
  const r = await fetch(url, init);
  return [r.status, r.headers.get('content-type')?.includes('json') ? await r.json() : Buffer.from(await r.arrayBuffer())];
}

// The job page's ceremony panel: the transcript, the key download, a
// contribution's answer (read with the data-status the page sets).
async function ceremonyAnswer(page, button, answer) {
  await page.click(button);
  await page.waitForSelector(`${answer}[data-status]`);
  return [await page.getAttribute(answer, 'data-status'), await page.textContent(answer)];
}

async function transcriptShown(page, want) {
  const rows = await page.$$eval('#transcript tbody tr', (rs) => rs.map((r) => [r.dataset.name, r.textContent]));
  return rows.length === want.contributions.length &&
    rows.every(([name, text], i) => name === want.contributions[i].name && text.includes(want.contributions[i].hash)) &&
    (await page.textContent('#latest-hash')) === want.latest_hash &&
    (await page.getAttribute('#ceremony-state', 'data-state')) === want.state;
}

// The version's ceremony lock (server/ceremony.c's lock_version), held by
// util-linux flock(1) until release() is called.
function holdLock(file) {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', [file, '-c', 'echo held; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.on('exit', r));
    child.on('error', reject);
    child.stdout.once('data', () => resolve({ release: () => (child.stdin.end(), exited) }));
  });
}

// Until pid waits for the flock on file's inode (a "->" line in /proc/locks);
// an error if the page shows an answer first (its request never got there).
async function waitsForLock(page, file, pid) {
  const ino = fs.statSync(file).ino;
  const waiter = new RegExp(`^\\d+: -> FLOCK +ADVISORY +WRITE +${pid} +[0-9a-f]+:[0-9a-f]+:${ino} `, 'm');
  while (!waiter.test(fs.readFileSync('/proc/locks', 'utf8'))) {
    if (await page.$('#contribution-answer[data-status]'))
      throw new Error(`answered before waiting for the lock: ${await page.textContent('#contribution-answer')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// SIGSTOP, then until every thread of pid is stopped: one still running could
// yet take a lock released meanwhile.
async function stopProcess(pid) {
  process.kill(pid, 'SIGSTOP');
  const state = (t) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1][0];
    } catch {
      return 'T'; // the thread is gone
    }
  };
  while (!fs.readdirSync(`/proc/${pid}/task`).every((t) => state(t) === 'T'))
    await new Promise((r) => setTimeout(r, 20));
}

// Two contributions to the key k race and the page's loses, made certain
// without timing: the lock held here stops the page's request after its check
// (which passed against k) where it waits for the lock; its server is then
// stopped (SIGSTOP), the lock released and the other contribution, posted
// directly to a second server on the same data directory (two instances of
// the service), is checked against k too and adopted. The first server goes
// on (SIGCONT), takes the lock and finds the latest key moved on: the 409.
async function lostRace(page, server, dataDir, k, work) {
  const c = '/models/iris-ceremony/versions/1/ceremony';
  const rivalHash = await contribute(k, path.join(work, 'rival.zkey'), 'rival');
  const late = path.join(work, 'late.zkey');
  await contribute(k, late, 'late user');
  const other = await startServer(dataDir, '', 'none');
  const lockFile = path.join(dataDir, 'artifacts/iris-ceremony/v1/ceremony.lock');
  const lock = await holdLock(lockFile);
  try {
    await page.setInputFiles('#contribution', late);
    await page.click('#contribute');
    await waitsForLock(page, lockFile, server.child.pid);
    await stopProcess(server.child.pid);
    await lock.release();
    const [rivalStatus, rivalBody] = await direct(`${other.base}${c}/contributions`, {
      method: 'POST', body: fs.readFileSync(path.join(work, 'rival.zkey')),
      headers: { 'Content-Type': 'application/octet-stream' } });
    process.kill(server.child.pid, 'SIGCONT');
    check(rivalStatus === 200 && rivalBody.accepted?.hash === rivalHash,
          `the rival's contribution: ${rivalStatus} ${JSON.stringify(rivalBody).slice(0, 200)}`);
    await page.waitForSelector('#contribution-answer[data-status]', { timeout: 300000 });
    const [st, text] = [await page.getAttribute('#contribution-answer', 'data-status'),
                        await page.textContent('#contribution-answer')];
    // server/ceremony.c's 409 (the response body itself is gone from
    // Chromium's inspector cache by now, after the keys' downloads)
    check(st === '409' && text.includes(`another contribution was accepted first: the latest contribution is now ${rivalHash};`),
          `lost race: ${st} ${text}, the winner's hash ${rivalHash}`);
    const next = await page.$eval('#contribution-next', (e) => e.textContent).catch(() => '');
    check(/your key is stale.*Download the latest key/i.test(next), `what to do after the 409: "${next}"`);
    const [, t] = await direct(`${server.base}${c}`);
    check(t.latest_hash === rivalHash && t.contributions.at(-1).name === 'rival' && await transcriptShown(page, t),
          `transcript after the 409 lists the winner: ${JSON.stringify(t.contributions.map((x) => x.name))}`);
    await shot(page, 'ceremony-lost-race');
    return rivalHash;
  } finally {
    await lock.release(); // again when an error came first
    process.kill(server.child.pid, 'SIGCONT'); // never leave it stopped
    await stopServer(other);
  }
}

async function ceremonyPage(page, server, token, dataDir, work) {
  const base = server.base;
  const c = `${base}/models/iris-ceremony/versions/1/ceremony`;
  const auth = { Authorization: `Bearer ${token}` };
  await page.goto(`${base}/upload`);
  await page.waitForSelector('#token'); // the server requires one
  await page.fill('#task_id', 'iris-ceremony');
  await page.setInputFiles('#model', modelPath);
  await page.setInputFiles('#data', csvPath);
  await page.check('#ceremony');
  await page.fill('#token', token);
  await page.click('#submit');
  await page.waitForURL(/\/jobs\/iris-ceremony\/1$/);
  // Only an upload with ceremony=open waits here (iris-web, without the box, went on to done).
  await page.waitForSelector(['awaiting_contributions', 'failed', 'done'].map((x) => `#job-state[data-state="${x}"]`).join(),
                             { timeout: 300000 });
  check(await page.getAttribute('#job-state', 'data-state') === 'awaiting_contributions',
        `ceremony job state: ${await page.textContent('main')}`);
  await page.waitForSelector('#transcript tbody tr');
  const [, t0] = await direct(c);
  check(t0.state === 'open' && await transcriptShown(page, t0), `transcript shown vs ${JSON.stringify(t0)}`);
  const p1 = await page.$eval('#phase1', (d) => [d.dataset.power, d.dataset.testing, d.textContent]);
  check(p1[0] === String(t0.phase1.power) && p1[1] === 'true' && /for testing only/.test(p1[2]) &&
        p1[2].includes(`power ${t0.phase1.power}`), `phase 1 shown: ${p1} vs ${JSON.stringify(t0.phase1)}`);
  await axe(page, 'job (ceremony open)');
  await shot(page, 'ceremony-open');

  // The latest key: the server's 401 without the token, its bytes with it.
  const [, no] = await direct(`${c}/zkey`);
  await page.click('#zkey-download');
  await page.waitForFunction(() => document.querySelector('#zkey-error').textContent.trim() !== '');
  const refusedKey = await page.textContent('#zkey-error');
  check(no.error && refusedKey.includes(`HTTP 401`) && refusedKey.includes(no.error), `key without the token: ${refusedKey}`);
  await page.fill('#ceremony-token', token);
  const download = async (name) => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#zkey-download')]);
    const file = path.join(work, name);
    await dl.saveAs(file);
    const [, bytes] = await direct(`${c}/zkey`, { headers: auth });
    check(fs.readFileSync(file).equals(bytes), `downloaded ${name} is the server's latest key`);
    return file;
  };
  const k1 = await download('k1.zkey');

  // Someone else contributes to the same key first: ours is stale, and the
  // page shows the server's 400 (the same message a direct POST gets).
  const other = await contribute(k1, path.join(work, 'other.zkey'), 'other');
  const stale = path.join(work, 'stale.zkey');
  await contribute(k1, stale, 'web user');
  const post = (file) => direct(`${c}/contributions`, { method: 'POST', body: fs.readFileSync(file),
                                                       headers: { 'Content-Type': 'application/octet-stream' } });
  const [okOther] = await post(path.join(work, 'other.zkey'));
  const [staleStatus, staleBody] = await post(stale);
  check(okOther === 200 && staleStatus === 400, `direct posts: other ${okOther}, stale ${staleStatus}`);
  await page.setInputFiles('#contribution', stale);
  const [st400, text400] = await ceremonyAnswer(page, '#contribute', '#contribution-answer');
  check(st400 === '400' && text400.includes(staleBody.error), `stale key: ${st400} ${text400}, server says ${staleBody.error}`);
  await page.waitForFunction((h) => document.querySelector('#latest-hash').textContent === h, other);
  await shot(page, 'ceremony-refused');

  // A fresh contribution through the file input: accepted with snarkjs's hash.
  const k2 = await download('k2.zkey');
  const mine = path.join(work, 'mine.zkey');
  const hash = await contribute(k2, mine, 'web user');
  await page.setInputFiles('#contribution', mine);
  const [st200, text200] = await ceremonyAnswer(page, '#contribute', '#contribution-answer');
  check(st200 === '200' && text200.includes(hash) && text200.includes('web user'), `contribution: ${st200} ${text200}`);
  const [, t1] = await direct(c);
  check(t1.latest_hash === hash && await transcriptShown(page, t1), `transcript after ours: ${JSON.stringify(t1)}`);

  // Contributing to the latest key again, the user loses a race: the 409.
  await lostRace(page, server, dataDir, await download('k3.zkey'), work);

  // Finalize: the operator's token, then the beacon; the job goes on.
  const beacon = 'b3ac0de5'.repeat(8);
  const [, noFinalize] = await direct(`${c}/finalize`, { method: 'POST' });
  await page.fill('#ceremony-token', '');
  const [st401, text401] = await ceremonyAnswer(page, '#finalize', '#finalize-answer');
  check(st401 === '401' && noFinalize.error && text401.includes(noFinalize.error), `finalize without the token: ${st401} ${text401}`);
  await page.fill('#ceremony-token', token);
  await page.fill('#beacon', beacon);
  await page.click('#finalize');
  await page.waitForSelector('#finalize-answer[data-status="202"]');
  await page.waitForSelector('#job-state[data-state="done"], #job-state[data-state="failed"]', { timeout: 300000 });
  check(await page.getAttribute('#job-state', 'data-state') === 'done', `after finalize: ${await page.textContent('main')}`);
  const [, t2] = await direct(c);
  check(t2.state === 'finalized' && t2.beacon?.beacon === beacon && await transcriptShown(page, t2) &&
        await page.$('#contribution') === null, `finalized transcript: ${JSON.stringify(t2)}`);
  await axe(page, 'job (ceremony finalized)');
  await shot(page, 'ceremony-finalized');
  console.log(`ceremony: ${t2.contributions.map((x) => x.name).join(', ')}; web user's hash ${hash.slice(0, 16)}…`);
}

// A second server, with an API token, for the ceremony (the key and finalize
// need it; contributions do not).
async function withCeremony() {
  const token = 'web-ceremony-token';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-web-ceremony-'));
  let server;
  try {
    server = await startServer(dataDir, token);
    const context = await launch({ acceptDownloads: true });
    const page = await context.newPage();
    // circuit.json is private: without the token the done job's page decodes
    // nothing itself and shows the server's decoding.
    watchConsole(page, (url) => /\/ceremony\/(zkey|contributions|finalize)$|\/circuit\.json\?/.test(url));
    const work = path.join(dataDir, 'contributor'); // the contributor's own files
    fs.mkdirSync(work);
    await ceremonyPage(page, server, token, dataDir, work);
    await context.close();
  } finally {
    if (server) await stopServer(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function stopServer(server) {
  signalPipeline(server, 'SIGCONT'); // never leave it stopped
  server.child.removeAllListeners('exit');
  const exited = new Promise((r) => server.child.on('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

async function withoutJavaScript(base) {
  const context = await launch({ javaScriptEnabled: false });
  const page = await context.newPage();
  watchConsole(page, (url) => url.endsWith('/models')); // the refused post below
  const styles = [];
  page.on('response', (r) => r.url().endsWith('/style.css') &&
          styles.push(`${r.status()} ${r.headers()['content-type']}`));
  await page.goto(base + '/');
  await page.fill('#task_id', 'iris-nojs');
  await page.setInputFiles('#model', modelPath);
  await page.selectOption('#input_visibility', 'private');
  await page.selectOption('#output_visibility', 'hashed');
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  const text = await page.textContent('main');
  check(/Upload accepted/.test(text) && /iris-nojs/.test(text), `HTML answer: ${text}`);
  const settings = await (await fetch(`${base}/models/iris-nojs/artifacts/settings.json?version=1`)).json();
  check(settings.input_visibility === 'private' && settings.output_visibility === 'hashed' &&
        settings.param_visibility === 'fixed', `settings.json from the HTML form: ${JSON.stringify(settings).slice(0, 120)}`);
  const status = await page.getAttribute('a[href^="/models/iris-nojs/status"]', 'href');
  check(status === '/models/iris-nojs/status?version=1', `status link: ${status}`);
  const follow = await page.getAttribute('a:text("Follow its progress")', 'href');
  check(follow === '/jobs/iris-nojs/1', `progress link to the app's job page: ${follow}`);
  await shot(page, 'nojs-answer');
  check(styles.length === 2 && styles.every((x) => /^200 text\/css/.test(x)),
        `the form and the answer load their stylesheet: ${styles}`);
  // A refused upload explains itself in HTML too.
  await page.goto(base + '/');
  await page.fill('#task_id', 'bad/id');
  await page.setInputFiles('#model', modelPath);
  await page.$eval('#task_id', (e) => e.removeAttribute('pattern'));
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  check(/task_id must match/.test(await page.textContent('main')), 'HTML error page');
  await context.close();
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-web-'));
  let server;
  try {
    server = await startServer(dataDir);
    await withJavaScript(server.base, server);
    await withoutJavaScript(server.base);
    await stopServer(server);
    server = null;
    await withCeremony();
  } catch (e) {
    check(false, e.stack || String(e));
  } finally {
    if (server) await stopServer(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
    for (const dir of profiles) fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`web_app: ${failures} failure(s); screenshots in ${outDir}`);
  process.exit(failures ? 1 : 0);
})();
