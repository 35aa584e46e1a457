// format.ts - pure formatting and checking helpers shared by the pages (no DOM,
// no network), so Vitest checks them directly.

/** Fills {name} placeholders; an unknown placeholder stays as written. */
export function interpolate(msg: string, params?: Record<string, string | number>): string {
  if (!params) return msg;
  return msg.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** 1536 -> "1.5 KiB" (binary units, as the server's ZKML_MAX_UPLOAD_MB). */
export function formatBytes(n: number, locale = 'en'): string {
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = i === 0 ? 0 : v < 10 ? 1 : 0;
  return `${v.toLocaleString(locale, { maximumFractionDigits: digits })} ${UNITS[i]}`;
}

/** A step's duration: 850 -> "850 ms", 61500 -> "1 min 1.5 s". */
export function formatMs(ms: number | null | undefined, locale = 'en'): string {
  if (ms == null || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toLocaleString(locale, { maximumFractionDigits: 1 })} s`;
  const min = Math.floor(s / 60);
  const rest = (s - min * 60).toLocaleString(locale, { maximumFractionDigits: 1 });
  return `${min} min ${rest} s`;
}

/** The API gives ISO-8601 strings (store) or Unix seconds (git, chain). */
export function formatTime(t: string | number | null | undefined, locale = 'en'): string {
  if (t == null || t === '') return '';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' }) +
    ' UTC';
}

/** "0x1234…cdef" for a long hex string; short strings unchanged. */
export function shortHash(h: string | null | undefined, keep = 8): string {
  if (!h) return '';
  const body = h.startsWith('0x') ? h.slice(2) : h;
  const prefix = h.startsWith('0x') ? '0x' : '';
  return body.length <= 2 * keep + 1 ? h : `${prefix}${body.slice(0, keep)}…${body.slice(-keep)}`;
}

/** A model hash as the lookup route takes it: 64 lower-case hex digits, or null. */
export function normalizeHash(s: string): string | null {
  const h = s.trim().replace(/^0x/i, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(h) ? h : null;
}

/** The server's public limits (GET /config). */
export interface Limits {
  max_upload_bytes: number;
  task_id_max: number;
  targets: string[];
  token_required: boolean;
}

export interface UploadDraft {
  taskId: string;
  model: { name: string; size: number } | null;
  data: { name: string; size: number } | null;
  sample: string;
}

/** One problem found before sending: a message key and its parameters. */
export interface Problem {
  field: 'task_id' | 'model' | 'data' | 'sample';
  key: string;
  params?: Record<string, string | number>;
}

/** Room for the multipart boundaries and the small fields. */
export const MULTIPART_OVERHEAD = 4096;

/** The checks the server makes that the browser can make first. */
export function checkUpload(d: UploadDraft, limits: Limits, locale = 'en'): Problem[] {
  const out: Problem[] = [];
  const idOk = new RegExp(`^[A-Za-z0-9_-]{1,${limits.task_id_max}}$`).test(d.taskId);
  if (!idOk) out.push({ field: 'task_id', key: 'upload.err.taskId', params: { max: limits.task_id_max } });
  if (!d.model || !/\.onnx$/i.test(d.model.name)) out.push({ field: 'model', key: 'upload.err.model' });
  if (d.data && !/\.csv$/i.test(d.data.name)) out.push({ field: 'data', key: 'upload.err.data' });
  if (d.sample !== '' && !/^\d+$/.test(d.sample)) out.push({ field: 'sample', key: 'upload.err.sample' });
  const total = (d.model?.size ?? 0) + (d.data?.size ?? 0);
  if (total + MULTIPART_OVERHEAD > limits.max_upload_bytes)
    out.push({
      field: 'model',
      key: 'upload.err.tooLarge',
      params: { size: formatBytes(total, locale), limit: formatBytes(limits.max_upload_bytes, locale) }
    });
  return out;
}

/** Polling backoff: back to `min` when something changed, else x1.6 up to `max`. */
export function nextDelay(prev: number, changed: boolean, min = 400, max = 5000): number {
  if (changed) return min;
  return Math.min(max, Math.max(min, Math.round(prev * 1.6)));
}
