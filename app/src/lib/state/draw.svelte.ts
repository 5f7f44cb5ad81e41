/**
 * Draw mode: a pad to write a digit on. The pad's pixels go to the worker as a bitmap after each
 * stroke segment; while the worker is busy only the latest state is kept (no queue of stale pads).
 */
import { isAbortError, userMessage } from '../abort.ts';
import type { EngineState } from './engine.svelte.ts';

export class DrawController {
  probs = $state.raw<Float32Array | null>(null);
  digit = $state<number | null>(null);
  probability = $state(0);
  /** The pad holds no ink: 'no digit' rather than a guess. */
  empty = $state(true);
  error = $state('');
  private busy = false;
  private pending: HTMLCanvasElement | null = null;

  constructor(private readonly engine: EngineState) {}

  /** Reads the pad (call after every stroke segment; calls are coalesced). */
  changed(pad: HTMLCanvasElement): void {
    this.empty = false;
    if (this.busy) {
      this.pending = pad;
      return;
    }
    void this.read(pad);
  }

  clear(): void {
    this.pending = null;
    this.probs = null;
    this.digit = null;
    this.probability = 0;
    this.empty = true;
  }

  private async read(pad: HTMLCanvasElement): Promise<void> {
    this.busy = true;
    try {
      const bitmap = await createImageBitmap(pad);
      const result = await this.engine.bridge.call(
        undefined,
        'readBitmap',
        [bitmap, { layout: 'draw', maxSide: 0, includePixels: false }],
        [bitmap],
      );
      if (this.empty) return;
      const d = result.digits[0];
      this.probs = d ? d.probs : null;
      this.digit = d ? d.digit : null;
      this.probability = d ? d.probability : 0;
      this.error = '';
    } catch (error) {
      if (!isAbortError(error)) this.error = userMessage(error);
    } finally {
      this.busy = false;
      const next = this.pending;
      this.pending = null;
      if (next && !this.empty) void this.read(next);
    }
  }
}
