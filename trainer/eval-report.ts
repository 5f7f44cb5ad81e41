/** Output of `npm run eval`: the terminal table, and the --report folder (bar charts + HTML). */
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { barsSpec, renderChart } from './charts.ts';
import type { EvalResult } from './eval.ts';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

export function formatEvalTable(r: EvalResult): string {
  const head = ['suite', 'severity', 'path', ...r.models];
  if (r.models.length === 2) head.push('difference');
  const body = r.rows.map((row) => {
    const cells = [row.suite, row.severity, row.path, ...r.models.map((m) => pct(row.accuracy[m]))];
    if (r.models.length === 2) {
      cells.push(`${((row.accuracy[r.models[0]] - row.accuracy[r.models[1]]) * 100).toFixed(2)} pt`);
    }
    return cells;
  });
  const suiteRows = r.suites.map((s) => [
    s.suite,
    'mean',
    s.path,
    ...r.models.map((m) => pct(s.accuracy[m])),
    ...(r.models.length === 2 ? [''] : []),
  ]);
  const meanRow = [
    'ALL SUITES',
    'mean',
    '',
    ...r.models.map((m) => pct(r.mean[m])),
    ...(r.models.length === 2 ? [''] : []),
  ];
  const all = [head, ...body, ...suiteRows, meanRow];
  const widths = head.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const notes = r.suites
    .filter((s) => s.path === 'pipeline')
    .map((s) => `  ${s.suite}: ${s.pathNote}`)
    .join('\n');
  return [
    line(head),
    rule,
    ...body.map(line),
    rule,
    ...suiteRows.map(line),
    rule,
    line(meanRow),
    '',
    `${r.count} test digits per severity, seed ${r.seed}, ${r.seconds.toFixed(0)} s.`,
    `Path: 'model' feeds the transformed 28x28 digit to the model; 'pipeline' goes through preprocess/ first:`,
    notes,
    '',
  ].join('\n');
}

export async function writeEvalReport(r: EvalResult, dir: string): Promise<string[]> {
  const rows = r.rows.flatMap((row) =>
    r.models.map((m) => ({
      group: m,
      label: `${row.suite} ${row.severity === '-' ? '' : row.severity}`.trim(),
      value: row.accuracy[m] * 100,
    })),
  );
  const bySuite = r.suites.flatMap((s) =>
    r.models.map((m) => ({ group: m, label: s.suite, value: s.accuracy[m] * 100 })),
  );
  const detail = await renderChart(
    barsSpec(rows, `Accuracy per suite and severity: ${r.models.join(' vs ')}`, 'accuracy (%)'),
  );
  const summary = await renderChart(
    barsSpec(bySuite, `Mean accuracy per suite: ${r.models.join(' vs ')}`, 'accuracy (%)'),
  );
  const table = formatEvalTable(r).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>digitlens robustness: ${r.models.join(' vs ')}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}img{max-width:100%}pre{font-size:12px}</style></head>
<body><h1>Robustness: ${r.models.join(' vs ')}</h1>
<img src="suites.png" alt="mean accuracy per suite"><img src="severities.png" alt="accuracy per suite and severity">
<h2>Table</h2><pre>${table}</pre></body></html>\n`;
  const files = {
    'suites.svg': summary.svg,
    'suites.png': summary.png,
    'severities.svg': detail.svg,
    'severities.png': detail.png,
    'index.html': html,
    'results.json': JSON.stringify(r, null, 2) + '\n',
  };
  await Promise.all(Object.entries(files).map(([f, data]) => writeFileAtomic(join(dir, f), data)));
  return Object.keys(files).map((f) => join(dir, f));
}
