// app.js - progressive enhancement of the upload form: posts it with fetch,
// then polls GET /models/{task}/status and shows each step; when the job ends,
// lists the artifacts and the prediction from output.json. Without JavaScript
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

function describePrediction(out) {
  if (!out) return 'no prediction (output.json was not produced)';
  const parts = [];
  if (out.predicted_class !== undefined) parts.push(`predicted class ${out.predicted_class}`);
  if (Array.isArray(out.dequantized))
    parts.push(`outputs [${out.dequantized.map((v) => Number(v).toFixed(4)).join(', ')}]`);
  return parts.join(' · ') || JSON.stringify(out);
}

async function renderResult(task, version) {
  const base = `/models/${encodeURIComponent(task)}/artifacts`;
  const list = await getJSON(`${base}?version=${version}`);
  const names = (list.artifacts || []).map((a) => a.name);
  $('artifacts').replaceChildren(...(list.artifacts || []).map((a) => {
    const li = el('li');
    const link = el('a', null, a.name);
    link.href = `${base}/${encodeURIComponent(a.name)}?version=${version}`;
    li.append(link, el('span', 'hint', ` ${a.size} B`));
    return li;
  }));
  let out = null;
  if (names.includes('output.json'))
    out = await getJSON(`${base}/output.json?version=${version}`).catch(() => null);
  $('prediction').textContent = describePrediction(out);
  $('result').hidden = false;
}

async function follow(task, version) {
  $('job').hidden = false;
  $('result').hidden = true;
  $('job-task').textContent = task;
  $('job-version').textContent = version;
  for (;;) {
    let status;
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
  await renderResult(task, version).catch((e) => showError(e.message));
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
