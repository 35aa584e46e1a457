// api.ts - the registry's REST API as the pages use it. Every error becomes an
// ApiError carrying the server's own message ({"error": ..., "code": ...}),
// so a page shows what the server said, not a generic failure.
import type { Limits } from './format';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Task {
  task_id: string;
  created_at: string | null;
  versions: number;
  latest_version: number;
  state: string;
}
export interface TaskVersion {
  version: number;
  model_hash: string;
  created_at: string | null;
  job_id: number;
  state: string;
}
export interface TaskDetail {
  task_id: string;
  created_at: string | null;
  versions: TaskVersion[];
}
/** One ranked version: its figures as its verified evaluation proof states them. */
export interface RankedVersion {
  rank: number;
  version: number;
  model_hash: string;
  model_cid?: string;
  metric: 'accuracy' | 'rmse';
  value: number;
  rows: number;
  /** accuracy only */
  correct?: number;
  float_accuracy?: number;
  /** rmse only */
  sse?: number;
  float_rmse?: number;
  rmse_threshold?: number | null;
  within_threshold?: boolean;
  /** Its chain.json's evaluation record as of the registration. */
  onchain?: OnchainEvaluation;
}
/** What the chain holds of a version's evaluation: "recorded" (with the
 *  transaction), "skipped" (with the reason), or another status from the
 *  server ("not registered", "registered without its evaluation"). */
export interface OnchainEvaluation {
  status: string;
  reason?: string;
  chain_id?: number;
  registry_address?: string;
  onchain_version?: number;
  verifier?: string;
  vk_hash?: string;
  best_version?: number;
  evaluate_tx?: string | null;
  block?: number | null;
  timestamp?: number;
}
/** The versions evaluated on the same rows (one dataset commitment), best first. */
export interface LeaderboardGroup {
  dataset_commitment: string;
  metric: 'accuracy' | 'rmse';
  rows: number;
  order: string;
  versions: RankedVersion[];
  /** The contract's bestVersion for these rows, read live: "recorded" (with our
   *  version when it matches one), "none", or "unavailable" (with the error). */
  onchain_best?: { status: string; version?: number; onchain_version?: number; error?: string };
}
export interface Leaderboard {
  task_id: string;
  groups: LeaderboardGroup[];
  /** Versions without a verified evaluation, and why. */
  unranked: { version: number; reason: string }[];
}
export interface HistoryVersion {
  version: number;
  tag: string;
  commit: string;
  committed_at: number;
  model_hash: string | null;
  vk_hash: string | null;
}
export interface OnchainVersion {
  version: number;
  model_hash: string;
  vk_hash: string;
  verifier: string;
  uri: string;
  registrant: string;
  timestamp: number;
}
export interface Onchain {
  task_id: string;
  registry_address: string;
  chain_id: number;
  owner: string;
  count: number;
  versions: OnchainVersion[];
}
export interface Step {
  name: string;
  state: string;
  started_at: string | null;
  finished_at: string | null;
  ms: number | null;
  message: string | null;
}
/** What the server's verify step decoded from the proof (verify.json). */
export interface Proven {
  valid: boolean;
  values: number[];
  dequantized: number[];
  predicted_class: number | null;
}
export interface Status {
  task_id: string;
  version: number;
  state: string;
  step: string | null;
  message: string | null;
  error: string | null;
  timestamp: string | null;
  progress: number;
  steps: Step[];
  /** null until the proof has verified on the server. */
  prediction?: Proven | null;
}
export interface Artifact {
  name: string;
  size: number;
  content_type: string;
  step: string;
  updated_at: string | null;
  visibility?: 'public' | 'private';
}
/** One key in a phase-2 ceremony's chain (ceremony.json). */
export interface CeremonyContribution {
  index: number;
  name: string;
  type: 'contribution' | 'beacon';
  hash: string;
  beacon?: string;
  iterations_exp?: number;
}
/** GET .../versions/{n}/ceremony: ceremony.json plus where the ceremony stands. */
export interface Ceremony {
  task_id: string;
  version: number;
  /** open | pending | finalized | none */
  state: string;
  job_state: string;
  latest_hash: string;
  circuit_hash: string;
  phase1: { source: string; file: string; power: number; blake2b: string; contributions: number;
            testing_only: boolean; note?: string };
  contributions: CeremonyContribution[];
  beacon: CeremonyContribution | null;
  /** only in a contribution's 200 */
  accepted?: CeremonyContribution;
}
export interface UploadAnswer {
  task_id: string;
  version: number;
  job_id: number;
  model_hash: string;
  status_url: string;
  existed: boolean;
}

type Fetch = typeof fetch;

/** The API's origin: VITE_API_URL for `npm run dev`, else the page's own. */
export const API_BASE: string = (import.meta.env?.VITE_API_URL ?? '').replace(/\/$/, '');

/** Turns a failed answer's body into the server's message. */
export function errorFrom(status: number, body: string, what: string): ApiError {
  try {
    const j = JSON.parse(body);
    if (j && typeof j.error === 'string') return new ApiError(j.error, status, j.code ?? null);
  } catch {
    /* not JSON: fall through */
  }
  return new ApiError(`${what}: HTTP ${status}`, status);
}

const seg = encodeURIComponent;
const bearer = (token: string): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

export class Api {
  constructor(
    readonly base: string = API_BASE,
    private readonly fetcher: Fetch = (...a) => fetch(...a)
  ) {}

  url(path: string): string {
    return this.base + path;
  }

  /** The answer to path, or an ApiError with the server's message. */
  async send(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    let r: Response;
    try {
      r = await this.fetcher(this.url(path), { ...init, headers: { Accept: 'application/json', ...init.headers } });
    } catch (e) {
      throw new ApiError(`${path}: ${(e as Error).message}`, 0);
    }
    if (!r.ok) throw errorFrom(r.status, await r.text(), path);
    return r;
  }

  async json<T>(path: string, init: Parameters<Api['send']>[1] = {}): Promise<T> {
    const r = await this.send(path, init);
    const text = await r.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`${path}: the answer is not JSON`, r.status);
    }
  }

  config(): Promise<Limits> {
    return this.json('/config');
  }
  tasks(): Promise<{ tasks: Task[] }> {
    return this.json('/models');
  }
  task(task: string): Promise<TaskDetail> {
    return this.json(`/models/${seg(task)}`);
  }
  history(task: string): Promise<{ task_id: string; versions: HistoryVersion[] }> {
    return this.json(`/models/${seg(task)}/versions`);
  }
  onchain(task: string): Promise<Onchain> {
    return this.json(`/models/${seg(task)}/versions/onchain`);
  }
  leaderboard(task: string): Promise<Leaderboard> {
    return this.json(`/models/${seg(task)}/leaderboard`);
  }
  status(task: string, version: number): Promise<Status> {
    return this.json(`/models/${seg(task)}/status?version=${version}`);
  }
  artifacts(task: string, version: number): Promise<{ artifacts: Artifact[] }> {
    return this.json(`/models/${seg(task)}/artifacts?version=${version}`);
  }
  artifactPath(task: string, version: number, name: string): string {
    return `/models/${seg(task)}/artifacts/${seg(name)}?version=${version}`;
  }
  artifact<T>(task: string, version: number, name: string): Promise<T> {
    return this.json(this.artifactPath(task, version, name));
  }
  /** Every on-chain registration of a model hash (64 hex digits). */
  byHash(hash: string): Promise<Record<string, unknown>> {
    return this.json(`/models/by-hash/${seg(hash)}/onchain`);
  }

  ceremonyPath(task: string, version: number): string {
    return `/models/${seg(task)}/versions/${version}/ceremony`;
  }
  ceremony(task: string, version: number): Promise<Ceremony> {
    return this.json(this.ceremonyPath(task, version));
  }
  /** The latest key (private: the token, or a loopback client without one). */
  async ceremonyZkey(task: string, version: number, token: string): Promise<Blob> {
    return (await this.send(`${this.ceremonyPath(task, version)}/zkey`, { headers: bearer(token) })).blob();
  }
  /** A key contributed with snarkjs; the server checks it against the latest. */
  contribute(task: string, version: number, zkey: Blob): Promise<Ceremony> {
    return this.json(`${this.ceremonyPath(task, version)}/contributions`, {
      method: 'POST', body: zkey, headers: { 'Content-Type': 'application/octet-stream' }
    });
  }
  /** The operator's end of the ceremony: the beacon (the latest hash when empty). */
  finalize(task: string, version: number, token: string, beacon: string): Promise<Ceremony> {
    return this.json(`${this.ceremonyPath(task, version)}/finalize`, {
      method: 'POST', body: beacon ? JSON.stringify({ beacon }) : '',
      headers: { 'Content-Type': 'application/json', ...bearer(token) }
    });
  }

  /** POST /models with XHR, whose upload events give progress (fetch has none). */
  upload(form: FormData, token: string, onProgress: (sent: number, total: number) => void):
    Promise<UploadAnswer> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.url('/models'));
      xhr.setRequestHeader('Accept', 'application/json');
      for (const [k, v] of Object.entries(bearer(token))) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total);
      xhr.onerror = () => reject(new ApiError('network', 0, 'network'));
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try {
            resolve(JSON.parse(xhr.responseText));
          } catch {
            reject(new ApiError('/models: the answer is not JSON', xhr.status));
          }
        } else reject(errorFrom(xhr.status, xhr.responseText, '/models'));
      };
      xhr.send(form);
    });
  }
}

export const api = new Api();
