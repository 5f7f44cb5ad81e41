/** One line of a benchmark table. Medians only: machines here are shared and noisy. */
export interface BenchRow {
  name: string;
  medianMs: number;
  runs: number;
  note?: string;
}

/** Median of a list of samples (the mean of the middle two for an even count). */
export function median(samples: number[]): number {
  if (samples.length === 0) throw new Error('Expected at least one sample for median but received none');
  const s = [...samples].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs fn `warmup` times unmeasured, then `runs` times measured; returns the median in ms. */
export async function timeMedian(fn: () => unknown, runs: number, warmup = 2): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export function formatRows(title: string, rows: BenchRow[]): string {
  const w = Math.max(...rows.map((r) => r.name.length), 10);
  const lines = rows.map(
    (r) =>
      `  ${r.name.padEnd(w)}  ${r.medianMs.toFixed(r.medianMs < 10 ? 3 : 1).padStart(10)} ms  (median of ${r.runs})${
        r.note ? `  ${r.note}` : ''
      }`,
  );
  return `${title}\n${lines.join('\n')}\n`;
}
