/**
 * Per-epoch progress: a live bar on a terminal, a plain line every tenth of the epoch otherwise
 * (CI logs and pipes should not fill with carriage returns).
 */
export interface ProgressStats {
  done: number;
  total: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  seconds: number;
  /** What `done` counts (default batches). */
  unit?: string;
}

function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export function formatProgress(label: string, p: ProgressStats, width = 24): string {
  const frac = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const eta = p.imagesPerSecond > 0 ? ((p.total - p.done) * p.seconds) / Math.max(1, p.done) : Infinity;
  return (
    `${label} [${bar}] ${p.done}/${p.total} ${p.unit ?? 'batches'}  loss ${p.loss.toFixed(4)}  acc ${(p.accuracy * 100).toFixed(2)}%` +
    `  ${Math.round(p.imagesPerSecond)} img/s  ETA ${formatEta(eta)}`
  );
}

export class ProgressReporter {
  private lastTenth = -1;
  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  update(label: string, p: ProgressStats): void {
    if (this.tty) {
      this.write(`\r${formatProgress(label, p)}\x1b[K`);
      return;
    }
    const tenth = Math.floor((p.done / Math.max(1, p.total)) * 10);
    if (tenth !== this.lastTenth && tenth < 10) {
      this.lastTenth = tenth;
      this.write(`${formatProgress(label, p)}\n`);
    }
  }

  end(): void {
    if (this.tty) this.write('\n');
    this.lastTenth = -1;
  }
}
