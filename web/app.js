// app.js - progressive enhancement of the upload form: posts it with fetch,
// then polls GET /models/{task}/status and shows each step; when the job ends,
// lists the artifacts and the prediction that verify decoded from the proof
// (the status's "prediction", i.e. verify.json). Without JavaScript
// the form posts normally and the server answers with an HTML page.
'use strict';

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || `${url}: HTTP ${r.status}`);
  return body;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderSteps(status) {
  const list = $('steps');
  list.replaceChildren(...(status.steps || []).map((s) => {
    const li = el('li', s.state);
    li.dataset.step = s.name;
    li.append(el('span', 'name', s.name), el('span', 'st ' + s.state, s.state),
              el('span', 'ms', s.ms != null && s.state !== 'queued' ? `${s.ms} ms` : ''),
              el('span', 'msg', s.message || ''));
    return li;
  }));
  const pct = Math.round((status.progress || 0) * 100);
  const state = $('job-state');
  state.className = 'state ' + status.state;
  state.textContent = status.state === 'failed'
    ? `failed: ${status.error || status.message || ''}`
    : `${status.state} (${pct}%)${status.step ? ' · ' + status.step : ''}`;
}

// The prediction as verify decoded it from the proof's public signals.
function describePrediction(proven) {
  if (!proven) return 'no prediction: the proof has not been verified';
  const parts = [];
  if (proven.predicted_class != null) parts.push(`predicted class ${proven.predicted_class}`);
  if (Array.isArray(proven.dequantized))
    parts.push(`outputs [${proven.dequantized.map((v) => Number(v).toFixed(4)).join(', ')}]`);
  return `${parts.join(' · ')} (decoded from the proof)`;
}

async function renderResult(task, version, status) {
  const base = `/models/${encodeURIComponent(task)}/artifacts`;
  const list = await getJSON(`${base}?version=${version}`);
  $('artifacts').replaceChildren(...(list.artifacts || []).map((a) => {
    const li = el('li');
    const link = el('a', null, a.name);
    link.href = `${base}/${encodeURIComponent(a.name)}?version=${version}`;
    li.append(link, el('span', 'hint', ` ${a.size} B${a.visibility === 'private' ? ' · private' : ''}`));
    return li;
  }));
  $('prediction').textContent = describePrediction(status.prediction);
  $('result').hidden = false;
}

async function follow(task, version) {
  $('job').hidden = false;
  $('result').hidden = true;
  $('job-task').textContent = task;
  $('job-version').textContent = version;
  let status;
  for (;;) {
    try {
      status = await getJSON(`/models/${encodeURIComponent(task)}/status${version ? '?version=' + version : ''}`);
    } catch (e) {
      showError(e.message);
      return;
    }
    renderSteps(status);
    version = status.version;
    $('job-version').textContent = version;
    if (status.state === 'done' || status.state === 'failed') break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await renderResult(task, version, status).catch((e) => showError(e.message));
}

async function submit(event) {
  event.preventDefault();
  showError('');
  const form = $('upload');
  const headers = { Accept: 'application/json' };
  const token = $('token').value;
  if (token) headers.Authorization = `Bearer ${token}`;
  $('submit').disabled = true;
  try {
    const r = await fetch('/models', { method: 'POST', body: new FormData(form), headers });
    const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
    if (r.status === 401) document.querySelector('.token').hidden = false;
    if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
    history.replaceState(null, '', `/?task_id=${encodeURIComponent(body.task_id)}&version=${body.version}`);
    await follow(body.task_id, body.version);
  } catch (e) {
    showError(e.message);
  } finally {
    $('submit').disabled = false;
  }
}

$('upload').addEventListener('submit', submit);
const params = new URLSearchParams(location.search);
if (params.get('task_id')) {
  $('task_id').value = params.get('task_id');
  follow(params.get('task_id'), params.get('version') || '');
}
