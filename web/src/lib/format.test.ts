import { describe, expect, it } from 'vitest';
import {
  checkUpload, formatBytes, formatMs, formatTime, interpolate, MULTIPART_OVERHEAD, nextDelay,
  normalizeHash, shortHash, type Limits
} from './format';

const limits: Limits = { max_upload_bytes: 1 << 20, task_id_max: 64, targets: ['resources', 'accuracy'], token_required: false };
const file = (name: string, size: number) => ({ name, size });

describe('interpolate', () => {
  it('fills known placeholders and keeps unknown ones', () => {
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(interpolate('plain')).toBe('plain');
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1,023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(256 * 2 ** 20)).toBe('256 MiB');
  });
  it('follows the locale', () => {
    expect(formatBytes(1536, 'es')).toBe('1,5 KiB');
  });
});

describe('formatMs', () => {
  it('chooses ms, s or min', () => {
    expect(formatMs(850)).toBe('850 ms');
    expect(formatMs(1500)).toBe('1.5 s');
    expect(formatMs(61500)).toBe('1 min 1.5 s');
    expect(formatMs(null)).toBe('');
  });
});

describe('formatTime', () => {
  it('reads ISO strings and Unix seconds as the same instant', () => {
    const iso = formatTime('2026-11-30T12:00:00Z');
    expect(iso).toBe(formatTime(Date.UTC(2026, 10, 30, 12) / 1000));
    expect(iso).toMatch(/2026/);
    expect(iso).toMatch(/UTC$/);
  });
  it('keeps what it cannot read', () => {
    expect(formatTime('not a time')).toBe('not a time');
    expect(formatTime(null)).toBe('');
  });
});

describe('hashes', () => {
  it('shortens long hashes only', () => {
    expect(shortHash('0x' + 'ab'.repeat(20))).toBe('0xabababab…abababab');
    expect(shortHash('abc')).toBe('abc');
  });
  it('normalizes a model hash or refuses it', () => {
    const h = 'AB'.repeat(32);
    expect(normalizeHash('0x' + h)).toBe(h.toLowerCase());
    expect(normalizeHash(' ' + h + ' ')).toBe(h.toLowerCase());
    expect(normalizeHash(h.slice(1))).toBeNull();
    expect(normalizeHash('zz'.repeat(32))).toBeNull();
  });
});

describe('checkUpload', () => {
  const ok = { taskId: 'iris_1-a', model: file('m.onnx', 1000), data: file('d.csv', 100), sample: '3' };
  it('accepts a good draft', () => {
    expect(checkUpload(ok, limits)).toEqual([]);
  });
  it('names each bad field', () => {
    const p = checkUpload({ taskId: 'bad/id', model: file('m.txt', 1), data: file('d.tsv', 1), sample: '-1' }, limits);
    expect(p.map((x) => x.field)).toEqual(['task_id', 'model', 'data', 'sample']);
    expect(checkUpload({ ...ok, taskId: 'x'.repeat(65) }, limits)[0].key).toBe('upload.err.taskId');
    expect(checkUpload({ ...ok, model: null }, limits)[0].key).toBe('upload.err.model');
  });
  it('refuses files over the server limit before sending', () => {
    const big = limits.max_upload_bytes - MULTIPART_OVERHEAD - 100 + 1;
    expect(checkUpload({ ...ok, model: file('m.onnx', big) }, limits).map((x) => x.key)).toEqual(['upload.err.tooLarge']);
    expect(checkUpload({ ...ok, model: file('m.onnx', big - 1) }, limits)).toEqual([]);
  });
});

describe('nextDelay', () => {
  it('backs off while nothing changes and resets on change', () => {
    let d = 0;
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) seen.push((d = nextDelay(d, false)));
    expect(seen[0]).toBe(400);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.at(-1)).toBe(5000);
    expect(nextDelay(5000, true)).toBe(400);
  });
});
