/**
 * Charts for reports, drawn by Vega-Lite (axes, legends and scales done properly) and rendered to SVG
 * and PNG in Node: vega renders SVG without a canvas, sharp (librsvg) rasterises it.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

export async function renderChart(spec: TopLevelSpec): Promise<RenderedChart> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG(2);
    const png = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
    return { svg, png };
  } finally {
    view.finalize();
  }
}

const FONT = { font: 'DejaVu Sans, Arial, sans-serif' };

export function curvesSpec(
  history: {
    epoch: number;
    trainAccuracy: number;
    valAccuracy: number;
    trainLoss: number;
    valLoss: number;
  }[],
  title: string,
  /** A line under the title (what changed at which epoch). */
  subtitle?: string,
): TopLevelSpec {
  const rows = history.flatMap((h) => [
    { epoch: h.epoch, set: 'train', metric: 'accuracy (%)', value: h.trainAccuracy * 100 },
    { epoch: h.epoch, set: 'validation', metric: 'accuracy (%)', value: h.valAccuracy * 100 },
    { epoch: h.epoch, set: 'train', metric: 'loss', value: h.trainLoss },
    { epoch: h.epoch, set: 'validation', metric: 'loss', value: h.valLoss },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: subtitle ? { text: title, subtitle } : title,
    config: { ...FONT, view: { stroke: null } },
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'set', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

export function confusionSpec(confusion: number[][], title: string): TopLevelSpec {
  const rows = confusion.flatMap((row, t) => row.map((n, p) => ({ truth: t, predicted: p, count: n })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { ...FONT, view: { stroke: null } },
    data: { values: rows },
    width: 360,
    height: 360,
    encoding: {
      x: { field: 'predicted', type: 'ordinal', axis: { labelAngle: 0 } },
      y: { field: 'truth', type: 'ordinal' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            condition: { test: 'datum.count === 0', value: '#ffffff' },
            field: 'count',
            type: 'quantitative',
            scale: { type: 'symlog', scheme: 'blues' },
            title: 'images',
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.count > 100', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

export function barsSpec(
  rows: { group: string; label: string; value: number }[],
  title: string,
  valueTitle: string,
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { ...FONT },
    data: { values: rows },
    width: { step: 14 },
    height: 240,
    mark: 'bar',
    encoding: {
      x: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelAngle: -60 } },
      xOffset: { field: 'group' },
      y: { field: 'value', type: 'quantitative', title: valueTitle },
      color: { field: 'group', type: 'nominal', title: null },
      tooltip: [{ field: 'group' }, { field: 'label' }, { field: 'value', format: '.2f' }],
    },
  };
}
