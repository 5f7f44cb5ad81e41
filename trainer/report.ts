/**
 * The report a person looks at after training: curves, confusion matrix and the misclassified test
 * digits, as PNG and SVG files plus an index.html that shows them with the manifest's figures.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic-write.ts';
import { confusionSpec, curvesSpec, renderChart } from './charts.ts';
import type { ModelManifest } from './manifest.ts';
import type { DigitSet } from './mnist.ts';
import type { Scores } from './metrics.ts';
import type { TrainConfig } from './config.ts';
import type { EpochRecord, TrainResult } from './train.ts';

export const REPORT_DIR = 'report';

export interface Misclassified {
  index: number;
  truth: number;
  predicted: number;
  confidence: number;
}

/** The misclassified images of a scored set, most confident mistakes first. */
export function misclassified(scores: Scores, labels: ArrayLike<number>, max = 60): Misclassified[] {
  const out: Misclassified[] = [];
  for (let i = 0; i < scores.count; i++) {
    if (scores.predictions[i] !== labels[i]) {
      out.push({
        index: i,
        truth: labels[i],
        predicted: scores.predictions[i],
        confidence: scores.confidence[i],
      });
    }
  }
  return out.sort((a, b) => b.confidence - a.confidence).slice(0, max);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** A grid of digits with "truth -> predicted (p)" captions, as SVG with embedded PNG tiles. */
export async function misclassifiedGridSvg(
  set: DigitSet,
  items: Misclassified[],
  columns = 10,
): Promise<string> {
  const tile = 84;
  const cellW = 100;
  const cellH = 120;
  const rows = Math.max(1, Math.ceil(items.length / columns));
  const width = columns * cellW;
  const height = rows * cellH + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="15" font-weight="bold">Misclassified test digits (truth -&gt; predicted, confidence), most confident first: ${items.length} shown</text>`,
  ];
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    // MNIST polarity is ink = 255; show dark ink on white as a person would see it on paper.
    const px = Buffer.alloc(784);
    for (let i = 0; i < 784; i++) px[i] = 255 - set.images[it.index * 784 + i];
    const png = await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
      .resize(tile, tile, { kernel: 'nearest' })
      .png()
      .toBuffer();
    const x = (k % columns) * cellW + (cellW - tile) / 2;
    const y = Math.floor(k / columns) * cellH + 30;
    parts.push(
      `<image x="${x}" y="${y}" width="${tile}" height="${tile}" href="data:image/png;base64,${png.toString('base64')}"/>`,
      `<rect x="${x}" y="${y}" width="${tile}" height="${tile}" fill="none" stroke="#bbbbbb"/>`,
      `<text x="${x + tile / 2}" y="${y + tile + 16}" font-size="13" text-anchor="middle">${escapeXml(
        `${it.truth} -> ${it.predicted} (${Math.round(it.confidence * 100)}%)`,
      )}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(x * 100).toFixed(2)}%`;
}

export function reportHtml(manifest: ModelManifest): string {
  const m = manifest.metrics;
  const rows = [
    ['architecture', `${manifest.arch}: ${manifest.description}`],
    [
      'parameters',
      `${manifest.params.toLocaleString('en')} (${(manifest.sizeBytes / 1024).toFixed(0)} KiB of weights)`,
    ],
    ['test accuracy', `${pct(m.testAccuracy)} of ${m.testCount}`],
    ['transposed test accuracy', pct(m.transposedAccuracy)],
    ['validation accuracy', pct(m.validationAccuracy)],
    ['transposed validation accuracy', pct(m.validationTransposedAccuracy)],
    [
      'epochs',
      `${manifest.training.epochs} trained in ${manifest.training.seconds} s; kept: ` +
        (manifest.training.kept ?? `epoch ${manifest.training.bestEpoch}`) +
        (manifest.training.specialistSeconds === undefined
          ? ''
          : `; upright specialist: ${manifest.config.specialist?.epochs} epochs in ` +
            `${manifest.training.specialistSeconds} s`),
    ],
    ['backend', manifest.backend],
    [
      'augmentation',
      manifest.config.augment +
        (manifest.config.finish
          ? `, then ${manifest.config.finish.epochs} finishing epochs with ${manifest.config.finish.augment}`
          : '') +
        // Manifests written before restarts existed have none.
        (manifest.config.restarts?.length
          ? `; ${manifest.config.restarts.length} warm restart(s) from the last weights`
          : ''),
    ],
  ];
  const perClass = m.perClassAccuracy.map((a, d) => `<td>${d}: ${pct(a)}</td>`).join('');
  const robustness = m.robustness
    ? `<h2>Robustness</h2><table>${Object.entries(m.robustness)
        .map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${pct(v)}</td></tr>`)
        .join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>digitlens model ${escapeXml(manifest.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}</style></head>
<body><h1>Model <code>${escapeXml(manifest.name)}</code></h1>
<p>Created ${escapeXml(manifest.created)}. Every figure below comes from the training run that wrote this folder.</p>
<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeXml(v)}</td></tr>`).join('')}</table>
<h2>Per-class test accuracy</h2><table><tr>${perClass}</tr></table>
${robustness}
${
  manifest.training.epochs > 0
    ? '<h2>Training curves</h2><img src="curves.png" alt="training and validation accuracy and loss per epoch">'
    : `<p>No training in this run: the weights are those of ${escapeXml(manifest.config.init ?? 'the model')}, whose report has the curves.</p>`
}
<h2>Confusion matrix</h2><img src="confusion.png" alt="confusion matrix of the test set">
<h2>Misclassified test digits</h2><img src="misclassified.png" alt="grid of misclassified test digits">
</body></html>
`;
}

/**
 * What trained which epochs, as a line under the curves' title ("epochs 1-17: main, 31-33:
 * finishing (light), ..."); undefined for a run of one stage. Logs written before records named
 * their stage count an epoch past the main stage's as finishing.
 */
export function stagesLine(
  history: EpochRecord[],
  config: Pick<TrainConfig, 'epochs' | 'finish'>,
): string | undefined {
  const spans: { label: string; from: number; to: number }[] = [];
  for (const h of history) {
    const stage = h.stage ?? (h.epoch > config.epochs ? 'finish' : 'main');
    const name = stage === 'finish' ? `finishing (${config.finish?.augment ?? 'light'})` : 'main';
    const label = (h.cycle && h.cycle > 1 ? `restart ${h.cycle - 1} ` : '') + name;
    const last = spans.at(-1);
    if (last?.label === label) last.to = h.epoch;
    else spans.push({ label, from: h.epoch, to: h.epoch });
  }
  if (spans.length < 2) return undefined;
  const range = (s: { from: number; to: number }) => (s.from === s.to ? `${s.from}` : `${s.from}-${s.to}`);
  return `epochs ${spans.map((s) => `${range(s)}: ${s.label}`).join(', ')}`;
}

/** Writes report/ into the model folder; returns a short description for the command's last line. */
export async function writeReport(
  result: TrainResult,
  manifest: ModelManifest,
  test: DigitSet,
): Promise<string> {
  const dir = join(result.dir, REPORT_DIR);
  // A re-export (--epochs 0 --finish-epochs 0) has no epochs to draw.
  const curves =
    result.history.length > 0
      ? await renderChart(
          curvesSpec(
            result.history,
            `Training curves: ${manifest.name} (${manifest.arch})`,
            stagesLine(result.history, manifest.config),
          ),
        )
      : null;
  const confusion = await renderChart(
    confusionSpec(manifest.metrics.confusion, `Confusion matrix: ${manifest.name}`),
  );
  const gridSvg = await misclassifiedGridSvg(test, misclassified(result.test, test.labels));
  const gridPng = await sharp(Buffer.from(gridSvg)).png().toBuffer();
  await Promise.all([
    ...(curves
      ? [
          writeFileAtomic(join(dir, 'curves.svg'), curves.svg),
          writeFileAtomic(join(dir, 'curves.png'), curves.png),
        ]
      : []),
    writeFileAtomic(join(dir, 'confusion.svg'), confusion.svg),
    writeFileAtomic(join(dir, 'confusion.png'), confusion.png),
    writeFileAtomic(join(dir, 'misclassified.svg'), gridSvg),
    writeFileAtomic(join(dir, 'misclassified.png'), gridPng),
    writeFileAtomic(join(dir, 'index.html'), reportHtml(manifest)),
  ]);
  return `${REPORT_DIR}/index.html with curves, confusion matrix and misclassified digits`;
}
