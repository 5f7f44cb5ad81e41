/**
 * Camera failures are messages with a way forward, never a blank screen: no camera at all, and a
 * permission the user refused.
 */
import { chromium } from 'playwright-core';
import { expect, inject, test } from 'vitest';
import { appUrl } from './app-page.ts';
import { CHROMIUM, PHONE } from './browser.ts';

const baseUrl = inject('baseUrl');
const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

test.each([
  { name: 'no camera', args: [], title: /No camera found|camera could not start/ },
  {
    name: 'permission denied',
    args: ['--use-fake-device-for-media-stream', '--deny-permission-prompts'],
    title: /permission denied/i,
  },
])('$name: says so and offers upload and draw', async ({ args, title }) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...QUIET, ...args] });
  try {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(appUrl(baseUrl, 'camera', 'wasm'));
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toMatch(title);
    await expect.poll(() => alert.getByRole('link', { name: 'Upload photos' }).isVisible()).toBe(true);
    await alert.getByRole('link', { name: 'Draw a digit' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/draw$/);
  } finally {
    await browser.close();
  }
});
