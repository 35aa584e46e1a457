// leaderboard.ts - how the pages show GET /models/{task}/leaderboard: a proven
// metric as text, and the one figure the Tasks page gives for a task. Pure, so
// Vitest checks it directly.
import type { Leaderboard, RankedVersion } from './api';

/** Accuracy as a percentage with its count (0.875, 7 of 8 -> "87.5% (7/8)");
 *  RMSE, in the target's own units, as a number (4 significant digits). */
export function formatMetric(
  m: Pick<RankedVersion, 'metric' | 'value' | 'rows' | 'correct'>,
  locale = 'en'
): string {
  if (m.metric === 'accuracy') {
    const pct = m.value.toLocaleString(locale, { style: 'percent', maximumFractionDigits: 2 });
    return m.correct == null ? pct : `${pct} (${m.correct}/${m.rows})`;
  }
  return m.value.toLocaleString(locale, { maximumSignificantDigits: 4 });
}

/** The task's proven metric: the leader of the ranking on the most rows (the
 *  largest evaluation; rankings on different rows do not compare), or null
 *  when no version is ranked. */
export function bestRanked(board: Leaderboard): RankedVersion | null {
  let best: RankedVersion | null = null;
  let rows = -1;
  for (const g of board.groups)
    if (g.versions.length && g.rows > rows) {
      best = g.versions[0];
      rows = g.rows;
    }
  return best;
}
