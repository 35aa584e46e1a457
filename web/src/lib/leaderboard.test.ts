import { describe, expect, it } from 'vitest';
import type { Leaderboard, RankedVersion } from './api';
import { bestRanked, formatMetric } from './leaderboard';

const row = (version: number, value: number, rows: number, metric: 'accuracy' | 'rmse' = 'accuracy'): RankedVersion =>
  ({ rank: 1, version, model_hash: 'ab', metric, value, rows, correct: metric === 'accuracy' ? Math.round(value * rows) : undefined });

describe('formatMetric', () => {
  it('shows accuracy as a percentage with correct/rows', () => {
    expect(formatMetric({ metric: 'accuracy', value: 0.875, rows: 8, correct: 7 })).toBe('87.5% (7/8)');
    expect(formatMetric({ metric: 'accuracy', value: 1, rows: 8, correct: 8 })).toBe('100% (8/8)');
    expect(formatMetric({ metric: 'accuracy', value: 2 / 3, rows: 3 })).toBe('66.67%');
  });
  it('follows the locale', () => {
    expect(formatMetric({ metric: 'accuracy', value: 0.875, rows: 8, correct: 7 }, 'es')).toBe('87,5\u00a0% (7/8)');
    expect(formatMetric({ metric: 'rmse', value: 0.123456, rows: 8 }, 'es')).toBe('0,1235');
  });
  it('shows RMSE as a number', () => {
    expect(formatMetric({ metric: 'rmse', value: 0.123456, rows: 8 })).toBe('0.1235');
    expect(formatMetric({ metric: 'rmse', value: 1234.5678, rows: 8 })).toBe('1,235');
  });
});

describe('bestRanked', () => {
  const board = (groups: { rows: number; versions: RankedVersion[] }[]): Leaderboard => ({
    task_id: 't',
    unranked: [],
    groups: groups.map((g, i) => ({ dataset_commitment: String(i), metric: 'accuracy', order: 'highest first', ...g }))
  });
  it('is null when nothing is ranked', () => {
    expect(bestRanked(board([]))).toBeNull();
  });
  it('takes the leader of the ranking on the most rows', () => {
    const lb = board([{ rows: 4, versions: [row(3, 1, 4)] }, { rows: 8, versions: [row(2, 0.75, 8), row(1, 0.5, 8)] }]);
    expect(bestRanked(lb)?.version).toBe(2);
  });
});
