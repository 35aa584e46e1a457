// web_upload.js - the upload page end to end in headless Chromium
// (playwright-core, Debian's chromium) against a real `zkml-registry serve`:
//   1. with JavaScript: fill the form, upload, watch the steps until the job
//      ends, then check the artifact links and the prediction (or, while a
//      step is missing from the build, the exact "not available" message);
//   2. without JavaScript: the same form posts and the server answers with
//      an HTML page linking to the status.
// A screenshot of the finished page goes to SCREENSHOT.
//
// usage: node web_upload.js ZKML_REGISTRY MODEL.onnx DATA.csv SCREENSHOT.png
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require(path.join(__dirname, '../../node_modules/playwright-core'));

const [bin, modelPath, csvPath, screenshot] = process.argv.slice(2);
let failures = 0;
function check(cond, what) {
  if (!cond) {
    failures++;
    console.error(`FAILED: ${what}`);
  }
}

function startServer(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
      env: { ...process.env, ZKML_CHAIN: 'none', ZKML_API_TOKEN: '' },
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
async function launch(javaScriptEnabled) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-chromium-'));
  profiles.push(dir);
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    javaScriptEnabled,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

async function withJavaScript(base) {
  const context = await launch(true);
  const page = await context.newPage();
  page.on('pageerror', (e) => check(false, `page error: ${e.message}`));
  await page.goto(base + '/');
  await page.fill('#task_id', 'iris-web');
  await page.setInputFiles('#model', modelPath);
  await page.setInputFiles('#data', csvPath);
  await page.click('#submit');
  await page.waitForSelector('#job-state.done, #job-state.failed', { timeout: 240000 });
  const state = await page.textContent('#job-state');
  const steps = await page.$$eval('#steps li', (lis) => lis.map((li) => li.dataset.step));
  check(steps.length >= 9 && steps[0] === 'settings', `steps shown: ${steps}`);
  await page.waitForSelector('#result:not([hidden])', { timeout: 30000 });
  const links = await page.$$eval('#artifacts a', (as) => as.map((a) => [a.textContent, a.href]));
  const model = links.find(([name]) => name === 'model.onnx');
  check(model, `artifact links: ${links.map(([n]) => n)}`);
  if (model) {
    const r = await page.request.get(model[1]);
    const want = fs.readFileSync(modelPath);
    check(r.status() === 200 && Buffer.compare(await r.body(), want) === 0,
          'the model.onnx link downloads the uploaded bytes');
  }
  const prediction = await page.textContent('#prediction');
  if (state.startsWith('done')) {
    // The page shows what verify decoded from the proof (verify.json).
    const proven = await (await page.request.get(
      `${base}/models/iris-web/artifacts/verify.json`)).json();
    check(proven.valid && prediction.includes(`predicted class ${proven.predicted_class}`) &&
          prediction.includes('decoded from the proof'), `prediction shown: ${prediction}`);
  } else {
    // Until every step is in the build, the job stops at the first missing one.
    check(/step \w+ is not available in this build/.test(state), `failed state: ${state}`);
  }
  check(page.url().includes('task_id=iris-web'), `the address names the job: ${page.url()}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`with JavaScript: ${state}; prediction: ${prediction}`);
  await context.close();
}

async function withoutJavaScript(base) {
  const context = await launch(false);
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.fill('#task_id', 'iris-nojs');
  await page.setInputFiles('#model', modelPath);
  await Promise.all([page.waitForNavigation(), page.click('#submit')]);
  const text = await page.textContent('main');
  check(/Upload accepted/.test(text) && /iris-nojs/.test(text), `HTML answer: ${text}`);
  const status = await page.getAttribute('a[href^="/models/iris-nojs/status"]', 'href');
  check(status === '/models/iris-nojs/status?version=1', `status link: ${status}`);
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
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkml-web-'));
  let server;
  try {
    server = await startServer(dataDir);
    await withJavaScript(server.base);
    await withoutJavaScript(server.base);
  } catch (e) {
    check(false, e.stack || String(e));
  } finally {
    if (server) {
      server.child.removeAllListeners('exit');
      const exited = new Promise((r) => server.child.on('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    for (const dir of profiles) fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`web_upload: ${failures} failure(s)`);
  process.exit(failures ? 1 : 0);
})();
