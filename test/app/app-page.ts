/** Page helpers shared by the browser tests: open a mode, read the test ids, wait for readings. */
import type { Page } from 'playwright-core';

export interface HistogramBar {
  digit: number;
  p: number;
}

export function appUrl(baseUrl: string, route: string, backend?: string): string {
  return `${baseUrl}${backend ? `?backend=${backend}` : ''}#/${route}`;
}

export async function histogram(page: Page): Promise<HistogramBar[]> {
  return page
    .getByTestId('confidence-histogram')
    .locator('[data-digit]')
    .evaluateAll((bars) =>
      bars.map((b) => ({ digit: Number(b.getAttribute('data-digit')), p: Number(b.getAttribute('data-p')) })),
    );
}

/** Waits until the reading test id shows `text` (the camera needs a few frames to settle). */
export async function waitForReading(page: Page, text: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="reading"]')?.textContent?.trim() === want,
    text,
    { timeout, polling: 100 },
  );
}

export async function waitForBackend(page: Page, timeout = 60_000): Promise<string> {
  await page.waitForFunction(
    () => document.querySelector('[data-testid="backend"]')?.getAttribute('data-status') === 'ready',
    undefined,
    { timeout, polling: 100 },
  );
  return (await page.getByTestId('backend').textContent())?.trim() ?? '';
}

/** What window.digitlens (app/src/lib/debug-api.ts) answers. */
export interface DebugMemory {
  numTensors: number;
  numBytes: number;
  wasmHeap?: number;
  backend: string;
}

export function memory(page: Page): Promise<DebugMemory> {
  return page.evaluate(() =>
    (window as unknown as { digitlens: { memory(): Promise<DebugMemory> } }).digitlens.memory(),
  );
}

export function framesRead(page: Page): Promise<number> {
  return page.evaluate(() =>
    (window as unknown as { digitlens: { framesRead(): number } }).digitlens.framesRead(),
  );
}
