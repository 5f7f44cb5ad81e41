/**
 * Synthetic pages: MNIST digits drawn as ink on paper under camera-like conditions, for tests, the eval
 * 'camera' suite, form fixtures and the app's demos. Everything is seeded through an Rng, so a page is
 * reproducible from its seed.
 *
 * The model is physical enough to exercise the locator: a page is a reflectance map (paper albedo, ruled
 * lines, printed boxes and ink multiply it), lit by an illumination field (gradient, vignetting, a soft
 * shadow), then blurred by the lens and given sensor noise. The drawing helpers work on the reflectance
 * (a GrayImage in paper polarity) in place, so that forms can be built from them: paper, then lines and
 * boxes, then digits pasted into boxes, then `photograph` to light, blur and add noise.
 */
import type { Box } from './locate.ts';
import { checkImage, createImage, type GrayImage } from './image.ts';
import type { Rng } from './random.ts';
import { checkInteger, checkNumber, fail } from './validate.ts';

/** A [low, high] range a value is drawn from uniformly; [v, v] fixes it. */
export type Range = readonly [number, number];

export interface LineStyle {
  /** Stroke width, pixels. */
  thickness: number;
  /** Fraction of the reflectance the line absorbs (0 invisible, 1 black). */
  darkness: number;
}

export interface PasteOptions {
  /** Where the centre of the 28x28 field lands on the page, pixels. */
  cx: number;
  cy: number;
  /** Page pixels per source pixel (3 turns a 28x28 digit into 84x84). */
  scale: number;
  /** Clockwise rotation, degrees. */
  rotation: number;
  /** Fraction of the reflectance full ink absorbs. */
  darkness: number;
}

export interface SceneDigit {
  /** The digit in MNIST polarity (ink = 1 on 0), usually 28x28. */
  ink: GrayImage;
  label?: number;
  /** Placement; anything left out is drawn from the scene options. */
  cx?: number;
  cy?: number;
  scale?: number;
  rotation?: number;
  darkness?: number;
}

export interface SceneOptions {
  width: number;
  height: number;
  digits: SceneDigit[];
  /** Scale of each digit (page pixels per MNIST pixel). */
  scale: Range;
  /** Rotation of each digit, degrees, drawn from [-rotation, rotation]. */
  rotation: number;
  /** Fraction of the reflectance the ink absorbs. */
  darkness: Range;
  /** Paper albedo. */
  paper: Range;
  /** Drop of illumination across the page along a random direction (0 = even). */
  gradient: Range;
  /** Darkening of the corners relative to the centre. */
  vignette: Range;
  /** Probability of a shadow (a soft-edged half-plane) and its depth. */
  shadow: number;
  shadowDepth: Range;
  /** Width of the shadow's soft edge, pixels. */
  shadowSoftness: Range;
  /** Probability of ruled lines, their spacing (pixels), style and tilt (degrees, +-). */
  ruled: number;
  ruleSpacing: Range;
  rule: LineStyle;
  ruleTilt: number;
  /** Probability that the ruling is a square grid (vertical lines too). */
  grid: number;
  /** Lens blur sigma, pixels. */
  blur: Range;
  /** Sensor noise standard deviation (grey levels in [0, 1]). */
  noise: Range;
  /** Round to 8-bit levels, as a camera frame is. */
  quantize: boolean;
  /** Fraction of each side kept free of digits. */
  margin: number;
}

export const defaultSceneOptions: SceneOptions = {
  width: 640,
  height: 480,
  digits: [],
  scale: [3, 6],
  rotation: 5,
  darkness: [0.7, 0.92],
  paper: [0.78, 0.95],
  gradient: [0, 0.35],
  vignette: [0, 0.15],
  shadow: 0.3,
  shadowDepth: [0.15, 0.4],
  shadowSoftness: [2, 30],
  ruled: 0,
  ruleSpacing: [28, 40],
  rule: { thickness: 1.5, darkness: 0.35 },
  ruleTilt: 2,
  grid: 0,
  blur: [0.4, 1.2],
  noise: [0.005, 0.03],
  quantize: true,
  margin: 0.04,
};

export interface SceneTruth {
  /** Bounding box of the digit's ink on the page (pixels with ink coverage >= 0.1). */
  box: Box;
  label?: number;
}

export interface Scene {
  /** The page in paper polarity (ink dark), values in [0, 1]. */
  image: GrayImage;
  /** The digits in the order they were given. */
  digits: SceneTruth[];
}

function checkRange(r: Range, name: string, min: number, max: number): void {
  if (!Array.isArray(r) || r.length !== 2) fail('a [low, high] pair', name, r);
  checkNumber(r[0], `${name}[0]`, min, max);
  checkNumber(r[1], `${name}[1]`, r[0], max);
}

function pick(r: Range, rng: Rng): number {
  return r[0] === r[1] ? r[0] : rng.uniform(r[0], r[1]);
}

export function checkSceneOptions(o: SceneOptions, name = 'options'): void {
  checkInteger(o.width, `${name}.width`, 1, 10_000);
  checkInteger(o.height, `${name}.height`, 1, 10_000);
  if (!Array.isArray(o.digits)) fail('an array', `${name}.digits`, o.digits);
  o.digits.forEach((d, i) => checkImage(d?.ink, `${name}.digits[${i}].ink`));
  checkRange(o.scale, `${name}.scale`, 0.05, 100);
  checkNumber(o.rotation, `${name}.rotation`, 0, 180);
  checkRange(o.darkness, `${name}.darkness`, 0, 1);
  checkRange(o.paper, `${name}.paper`, 0, 1);
  checkRange(o.gradient, `${name}.gradient`, 0, 1);
  checkRange(o.vignette, `${name}.vignette`, 0, 1);
  checkNumber(o.shadow, `${name}.shadow`, 0, 1);
  checkRange(o.shadowDepth, `${name}.shadowDepth`, 0, 1);
  checkRange(o.shadowSoftness, `${name}.shadowSoftness`, 0, 1000);
  checkNumber(o.ruled, `${name}.ruled`, 0, 1);
  checkRange(o.ruleSpacing, `${name}.ruleSpacing`, 2, 10_000);
  checkNumber(o.rule?.thickness, `${name}.rule.thickness`, 0.1, 100);
  checkNumber(o.rule?.darkness, `${name}.rule.darkness`, 0, 1);
  checkNumber(o.ruleTilt, `${name}.ruleTilt`, 0, 45);
  checkNumber(o.grid, `${name}.grid`, 0, 1);
  checkRange(o.blur, `${name}.blur`, 0, 20);
  checkRange(o.noise, `${name}.noise`, 0, 1);
  if (typeof o.quantize !== 'boolean') fail('a boolean', `${name}.quantize`, o.quantize);
  checkNumber(o.margin, `${name}.margin`, 0, 0.45);
}

/** A blank sheet: constant reflectance `albedo`. */
export function createPaper(width: number, height: number, albedo = 0.9): GrayImage {
  return createImage(width, height, checkNumber(albedo, 'albedo', 0, 1));
}

/**
 * Draws an anti-aliased straight line from (x0, y0) to (x1, y1) (pixel coordinates: pixel (0, 0) covers
 * [0, 1) x [0, 1)) onto a reflectance map, multiplying it by (1 - darkness * coverage). In place.
 */
export function drawLine(
  page: GrayImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  style: LineStyle,
): void {
  checkImage(page, 'page');
  for (const [v, n] of [
    [x0, 'x0'],
    [y0, 'y0'],
    [x1, 'x1'],
    [y1, 'y1'],
  ] as const) {
    checkNumber(v, n);
  }
  const t = checkNumber(style?.thickness, 'style.thickness', 0.1, 1000);
  const dk = checkNumber(style?.darkness, 'style.darkness', 0, 1);
  const { width, height, data } = page;
  const half = t / 2;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const bx0 = Math.max(0, Math.floor(Math.min(x0, x1) - half - 1));
  const bx1 = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + half + 1));
  const by0 = Math.max(0, Math.floor(Math.min(y0, y1) - half - 1));
  const by1 = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + half + 1));
  for (let y = by0; y <= by1; y++) {
    for (let x = bx0; x <= bx1; x++) {
      const px = x + 0.5 - x0;
      const py = y + 0.5 - y0;
      const u = len2 > 0 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
      const ex = px - u * dx;
      const ey = py - u * dy;
      // Coverage of a pixel by the stroke: a one-pixel linear ramp around the stroke's edge.
      const cover = Math.max(0, Math.min(1, half + 0.5 - Math.sqrt(ex * ex + ey * ey)));
      if (cover > 0) data[y * width + x] *= 1 - dk * cover;
    }
  }
}

/** Draws the outline of a box (a printed form field). In place. */
export function drawRect(page: GrayImage, box: Box, style: LineStyle): void {
  const { x, y, width: w, height: h } = box;
  drawLine(page, x, y, x + w, y, style);
  drawLine(page, x + w, y, x + w, y + h, style);
  drawLine(page, x + w, y + h, x, y + h, style);
  drawLine(page, x, y + h, x, y, style);
}

/** Catmull-Rom weights for a fractional offset t in [0, 1). */
function cubicWeights(t: number, w: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = 0.5 * (-t3 + 2 * t2 - t);
  w[1] = 0.5 * (3 * t3 - 5 * t2 + 2);
  w[2] = 0.5 * (-3 * t3 + 4 * t2 + t);
  w[3] = 0.5 * (t3 - t2);
}

/** Bounding box of the ink of a source digit (values >= threshold), in source pixels, x1/y1 exclusive. */
function sourceInkBox(ink: GrayImage, threshold: number): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = ink.width;
  let y0 = ink.height;
  let x1 = 0;
  let y1 = 0;
  for (let y = 0; y < ink.height; y++) {
    for (let x = 0; x < ink.width; x++) {
      if (ink.data[y * ink.width + x] >= threshold) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x + 1);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  if (x1 === 0) return { x0: 0, y0: 0, x1: ink.width, y1: ink.height };
  return { x0, y0, x1, y1 };
}

const INK_BOX_THRESHOLD = 0.1;
/** Page pixels by which touching neighbours' strokes overlap. */
const TOUCH_OVERLAP = 1.5;

/**
 * Draws an ink image (MNIST polarity) onto a reflectance map, upscaled with Catmull-Rom interpolation
 * (strokes stay smooth at 12x), rotated about the field's centre. In place. Returns the bounding box of
 * the drawn ink (coverage >= 0.1), or a zero-sized box at the centre when none landed on the page.
 */
export function pasteDigit(page: GrayImage, ink: GrayImage, options: PasteOptions): Box {
  checkImage(page, 'page');
  checkImage(ink, 'ink');
  const cx = checkNumber(options?.cx, 'options.cx');
  const cy = checkNumber(options?.cy, 'options.cy');
  const scale = checkNumber(options.scale, 'options.scale', 0.05, 100);
  const rotation = checkNumber(options.rotation, 'options.rotation', -360, 360);
  const darkness = checkNumber(options.darkness, 'options.darkness', 0, 1);
  const { width, height, data } = page;
  const sw = ink.width;
  const sh = ink.height;
  const src = ink.data;
  const a = (rotation * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const reach = (Math.hypot(sw, sh) / 2) * scale + 2;
  const px0 = Math.max(0, Math.floor(cx - reach));
  const px1 = Math.min(width - 1, Math.ceil(cx + reach));
  const py0 = Math.max(0, Math.floor(cy - reach));
  const py1 = Math.min(height - 1, Math.ceil(cy + reach));
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  let bx0 = width;
  let by0 = height;
  let bx1 = -1;
  let by1 = -1;
  for (let y = py0; y <= py1; y++) {
    for (let x = px0; x <= px1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      // Inverse rotation, then into source index coordinates (pixel k has its centre at k).
      const sx = (cos * dx + sin * dy) / scale + sw / 2 - 0.5;
      const sy = (-sin * dx + cos * dy) / scale + sh / 2 - 0.5;
      if (sx <= -2 || sy <= -2 || sx >= sw + 1 || sy >= sh + 1) continue;
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      cubicWeights(sx - ix, wx);
      cubicWeights(sy - iy, wy);
      let v = 0;
      for (let m = 0; m < 4; m++) {
        const yy = iy - 1 + m;
        if (yy < 0 || yy >= sh) continue;
        let rowSum = 0;
        for (let k = 0; k < 4; k++) {
          const xx = ix - 1 + k;
          if (xx >= 0 && xx < sw) rowSum += src[yy * sw + xx] * wx[k];
        }
        v += rowSum * wy[m];
      }
      if (v <= 0) continue;
      if (v > 1) v = 1;
      data[y * width + x] *= 1 - darkness * v;
      if (v >= INK_BOX_THRESHOLD) {
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        if (y > by1) by1 = y;
      }
    }
  }
  if (bx1 < 0) return { x: Math.round(cx), y: Math.round(cy), width: 0, height: 0 };
  return { x: bx0, y: by0, width: bx1 - bx0 + 1, height: by1 - by0 + 1 };
}

export interface BoxPasteOptions {
  /** Fraction of the box the digit's ink may fill (the longer side fits this fraction). */
  fill: number;
  rotation: number;
  darkness: number;
}

export const defaultBoxPasteOptions: BoxPasteOptions = { fill: 0.75, rotation: 0, darkness: 0.85 };

/**
 * Draws a digit centred in a box (a form field), its ink scaled to `fill` of the box. In place.
 * Returns the bounding box of the drawn ink.
 */
export function pasteDigitInBox(
  page: GrayImage,
  ink: GrayImage,
  box: Box,
  options: Partial<BoxPasteOptions> = {},
): Box {
  checkImage(ink, 'ink');
  checkNumber(box?.width, 'box.width', 1);
  checkNumber(box?.height, 'box.height', 1);
  const o = { ...defaultBoxPasteOptions, ...options };
  checkNumber(o.fill, 'options.fill', 0.05, 1);
  const b = sourceInkBox(ink, INK_BOX_THRESHOLD);
  const scale = o.fill * Math.min(box.width / (b.x1 - b.x0), box.height / (b.y1 - b.y0));
  // Put the centre of the ink's box (not of the 28x28 field) at the centre of the form box.
  const inkCx = (b.x0 + b.x1) / 2 - ink.width / 2;
  const inkCy = (b.y0 + b.y1) / 2 - ink.height / 2;
  return pasteDigit(page, ink, {
    cx: box.x + box.width / 2 - inkCx * scale,
    cy: box.y + box.height / 2 - inkCy * scale,
    scale,
    rotation: o.rotation,
    darkness: o.darkness,
  });
}

export interface StringLayout {
  /** Left edge of the first digit's ink and the vertical centre line of the string, pixels. */
  x: number;
  cy: number;
  /** Height of a digit's 20-pixel MNIST box on the page, pixels (scale = height / 20). */
  height: number;
  /** Space between the ink boxes of neighbours, as a fraction of height (negative overlaps them). */
  gap: Range;
  /** Make neighbours' strokes actually touch (overrides gap). */
  touching: boolean;
  /** Vertical jitter of each digit, fraction of height. */
  jitter: number;
  rotation: number;
  darkness: Range;
}

export const defaultStringLayout: StringLayout = {
  x: 20,
  cy: 50,
  height: 60,
  gap: [0.1, 0.3],
  touching: false,
  jitter: 0.05,
  rotation: 3,
  darkness: [0.75, 0.9],
};

/** Per source row: leftmost and rightmost ink column (or -1). */
function rowProfiles(ink: GrayImage, threshold: number): { left: Int32Array; right: Int32Array } {
  const left = new Int32Array(ink.height).fill(-1);
  const right = new Int32Array(ink.height).fill(-1);
  for (let y = 0; y < ink.height; y++) {
    for (let x = 0; x < ink.width; x++) {
      if (ink.data[y * ink.width + x] >= threshold) {
        if (left[y] < 0) left[y] = x;
        right[y] = x;
      }
    }
  }
  return { left, right };
}

/**
 * Draws digits side by side as one string (a number). In place. Returns each digit's ink box, left to
 * right. With `touching`, each digit is moved left until its strokes overlap its neighbour's by about a
 * pixel, the hard case for splitting.
 */
export function pasteString(
  page: GrayImage,
  inks: readonly GrayImage[],
  layout: Partial<StringLayout>,
  rng: Rng,
): Box[] {
  const o = { ...defaultStringLayout, ...layout };
  checkNumber(o.x, 'layout.x');
  checkNumber(o.cy, 'layout.cy');
  checkNumber(o.height, 'layout.height', 1);
  checkRange(o.gap, 'layout.gap', -1, 10);
  checkRange(o.darkness, 'layout.darkness', 0, 1);
  checkNumber(o.jitter, 'layout.jitter', 0, 1);
  checkNumber(o.rotation, 'layout.rotation', 0, 180);
  if (!Array.isArray(inks)) fail('an array of ink images', 'inks', inks);
  const scale = o.height / 20;
  const boxes: Box[] = [];
  let prev: { ink: GrayImage; cx: number; cy: number } | null = null;
  let cursor = o.x;
  inks.forEach((ink, i) => {
    checkImage(ink, `inks[${i}]`);
    const b = sourceInkBox(ink, INK_BOX_THRESHOLD);
    const cy = o.cy + rng.uniform(-o.jitter, o.jitter) * o.height;
    let cx: number;
    if (o.touching && prev) {
      // Smallest horizontal offset between the centres at which some row of the two digits overlaps.
      const pl = rowProfiles(prev.ink, 0.3);
      const cl = rowProfiles(ink, 0.3);
      const shift = (cy - prev.cy) / scale;
      let need = -Infinity;
      for (let y = 0; y < ink.height; y++) {
        const py = Math.round(y + shift);
        if (py < 0 || py >= prev.ink.height || cl.left[y] < 0 || pl.right[py] < 0) continue;
        // Distance, in source pixels, from prev's centre to its right edge plus ours to our left edge.
        need = Math.max(need, pl.right[py] + 1 - prev.ink.width / 2 + (ink.width / 2 - cl.left[y]));
      }
      cx = need === -Infinity ? cursor + ((b.x1 - b.x0) / 2) * scale : prev.cx + need * scale - TOUCH_OVERLAP;
    } else {
      const gap = i === 0 ? 0 : pick(o.gap, rng) * o.height;
      cx = cursor + gap + (ink.width / 2 - b.x0) * scale;
    }
    const box = pasteDigit(page, ink, {
      cx,
      cy,
      scale,
      rotation: rng.uniform(-o.rotation, o.rotation),
      darkness: pick(o.darkness, rng),
    });
    boxes.push(box);
    cursor = cx + (b.x1 - ink.width / 2) * scale;
    prev = { ink, cx, cy };
  });
  return boxes;
}

export interface PhotoOptions {
  /** Illumination drop across the page, corner darkening. */
  gradient: number;
  vignette: number;
  /** Shadow depth (0 = none) and soft-edge width, pixels. */
  shadowDepth: number;
  shadowSoftness: number;
  blur: number;
  noise: number;
  quantize: boolean;
}

/** Gaussian blur, separable, in place. */
export function blurImage(image: GrayImage, sigma: number): void {
  checkImage(image);
  checkNumber(sigma, 'sigma', 0, 100);
  if (sigma < 0.1) return;
  const r = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * r + 1);
  let total = 0;
  for (let i = -r; i <= r; i++) total += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= total;
  const { width, height, data } = image;
  const tmp = new Float32Array(data.length);
  const line = new Float32Array(Math.max(width, height) + 2 * r);
  // Each row, then each column, is copied into a buffer padded by edge replication, so the inner loop
  // needs no bounds checks.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = 0; i < r; i++) {
      line[i] = data[row];
      line[r + width + i] = data[row + width - 1];
    }
    for (let x = 0; x < width; x++) line[r + x] = data[row + x];
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let i = 0; i < k.length; i++) acc += line[x + i] * k[i];
      tmp[row + x] = acc;
    }
  }
  for (let x = 0; x < width; x++) {
    for (let i = 0; i < r; i++) {
      line[i] = tmp[x];
      line[r + height + i] = tmp[(height - 1) * width + x];
    }
    for (let y = 0; y < height; y++) line[r + y] = tmp[y * width + x];
    for (let y = 0; y < height; y++) {
      let acc = 0;
      for (let i = 0; i < k.length; i++) acc += line[y + i] * k[i];
      data[y * width + x] = acc;
    }
  }
}

/**
 * Turns a reflectance map into a camera frame, in place: uneven light (gradient along a random
 * direction, vignetting, a soft shadow over a random half-plane), lens blur, sensor noise, 8-bit levels.
 */
export function photograph(page: GrayImage, options: Partial<PhotoOptions>, rng: Rng): void {
  checkImage(page, 'page');
  const o: PhotoOptions = {
    gradient: 0,
    vignette: 0,
    shadowDepth: 0,
    shadowSoftness: 10,
    blur: 0,
    noise: 0,
    quantize: false,
    ...options,
  };
  checkNumber(o.gradient, 'options.gradient', 0, 1);
  checkNumber(o.vignette, 'options.vignette', 0, 1);
  checkNumber(o.shadowDepth, 'options.shadowDepth', 0, 1);
  checkNumber(o.shadowSoftness, 'options.shadowSoftness', 0, 1000);
  checkNumber(o.blur, 'options.blur', 0, 100);
  checkNumber(o.noise, 'options.noise', 0, 1);
  const { width, height, data } = page;
  const ga = rng.uniform(0, 2 * Math.PI);
  const gx = Math.cos(ga);
  const gy = Math.sin(ga);
  // Projection of the corners on the gradient direction, to map the ramp to [0, 1] over the page.
  const projs = [0, width * gx, height * gy, width * gx + height * gy];
  const pMin = Math.min(...projs);
  const pSpan = Math.max(1e-6, Math.max(...projs) - pMin);
  // Shadow: the half-plane beyond a line through a random point, with a smooth edge.
  const sa = rng.uniform(0, 2 * Math.PI);
  const sx = Math.cos(sa);
  const sy = Math.sin(sa);
  const spx = rng.uniform(0.2, 0.8) * width;
  const spy = rng.uniform(0.2, 0.8) * height;
  const soft = Math.max(0.5, o.shadowSoftness);
  const hx = width / 2;
  const hy = height / 2;
  const diag2 = hx * hx + hy * hy;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ramp = ((x * gx + y * gy - pMin) / pSpan) * o.gradient;
      const r2 = ((x - hx) * (x - hx) + (y - hy) * (y - hy)) / diag2;
      let light = (1 - ramp) * (1 - o.vignette * r2);
      if (o.shadowDepth > 0) {
        const d = ((x - spx) * sx + (y - spy) * sy) / soft;
        const s = d <= -1 ? 0 : d >= 1 ? 1 : 0.5 + 0.5 * Math.sin((d * Math.PI) / 2);
        light *= 1 - o.shadowDepth * s;
      }
      data[y * width + x] *= light;
    }
  }
  blurImage(page, o.blur);
  for (let i = 0; i < data.length; i++) {
    let v = data[i] + (o.noise > 0 ? o.noise * rng.normal() : 0);
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    data[i] = o.quantize ? Math.round(v * 255) / 255 : v;
  }
}

interface Placed {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * Renders a page with the given digits (random placement, size, rotation and ink where a digit does not
 * fix them, avoiding overlaps) under random camera conditions drawn from the options.
 */
export function renderScene(options: Partial<SceneOptions>, rng: Rng): Scene {
  const o: SceneOptions = { ...defaultSceneOptions, ...options };
  checkSceneOptions(o);
  const page = createPaper(o.width, o.height, pick(o.paper, rng));
  drawRuling(page, o, rng);
  const placed: Placed[] = [];
  const truths: SceneTruth[] = o.digits.map((d) => {
    let scale = d.scale ?? pick(o.scale, rng);
    const mx = o.margin * o.width;
    const my = o.margin * o.height;
    // The 28x28 field must fit inside the margins; shrink the digit when the page is too small for it.
    const room = Math.min((o.width - 2 * mx) / d.ink.width, (o.height - 2 * my) / d.ink.height);
    if (d.scale === undefined && scale > room) scale = Math.max(0.05, room);
    const hw = (d.ink.width * scale) / 2;
    const hh = (d.ink.height * scale) / 2;
    let cx = d.cx ?? 0;
    let cy = d.cy ?? 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      if (d.cx === undefined) cx = rng.uniform(mx + hw, Math.max(mx + hw, o.width - mx - hw));
      if (d.cy === undefined) cy = rng.uniform(my + hh, Math.max(my + hh, o.height - my - hh));
      const clear = placed.every((p) => cx + hw < p.x0 || cx - hw > p.x1 || cy + hh < p.y0 || cy - hh > p.y1);
      if (clear || (d.cx !== undefined && d.cy !== undefined)) break;
    }
    placed.push({ x0: cx - hw, y0: cy - hh, x1: cx + hw, y1: cy + hh });
    const box = pasteDigit(page, d.ink, {
      cx,
      cy,
      scale,
      rotation: d.rotation ?? rng.uniform(-o.rotation, o.rotation),
      darkness: d.darkness ?? pick(o.darkness, rng),
    });
    return d.label === undefined ? { box } : { box, label: d.label };
  });
  photograph(page, photoOptions(o, rng), rng);
  return { image: page, digits: truths };
}

function photoOptions(o: SceneOptions, rng: Rng): PhotoOptions {
  return {
    gradient: pick(o.gradient, rng),
    vignette: pick(o.vignette, rng),
    shadowDepth: rng.chance(o.shadow) ? pick(o.shadowDepth, rng) : 0,
    shadowSoftness: pick(o.shadowSoftness, rng),
    blur: pick(o.blur, rng),
    noise: pick(o.noise, rng),
    quantize: o.quantize,
  };
}

function drawRuling(page: GrayImage, o: SceneOptions, rng: Rng): void {
  if (!rng.chance(o.ruled)) return;
  const spacing = pick(o.ruleSpacing, rng);
  const tilt = (rng.uniform(-o.ruleTilt, o.ruleTilt) * Math.PI) / 180;
  const { width, height } = page;
  const rise = Math.tan(tilt) * width;
  const start = rng.uniform(0, spacing);
  for (let y = start - Math.abs(rise); y < height + Math.abs(rise); y += spacing) {
    drawLine(page, 0, y, width, y + rise, o.rule);
  }
  if (rng.chance(o.grid)) {
    const run = -Math.tan(tilt) * height;
    for (let x = rng.uniform(0, spacing) - Math.abs(run); x < width + Math.abs(run); x += spacing) {
      drawLine(page, x, 0, x + run, height, o.rule);
    }
  }
}

export interface StringSceneOptions extends Omit<SceneOptions, 'digits'> {
  digits: { ink: GrayImage; label?: number }[];
  layout: Partial<StringLayout>;
}

/**
 * Renders a page holding one string of digits (see pasteString); layout.x and layout.cy default to a
 * random position where the string fits. Truths are in reading order.
 */
export function renderString(options: Partial<StringSceneOptions>, rng: Rng): Scene {
  const { layout = {}, digits = [], ...rest } = options;
  const o = { ...defaultSceneOptions, ...rest, digits: [] };
  checkSceneOptions(o);
  const page = createPaper(o.width, o.height, pick(o.paper, rng));
  drawRuling(page, o, rng);
  const height = layout.height ?? defaultStringLayout.height;
  const approxWidth = digits.length * height * 0.9;
  const x =
    layout.x ?? rng.uniform(o.margin * o.width, Math.max(o.margin * o.width, o.width - approxWidth - 10));
  const cy =
    layout.cy ??
    rng.uniform(o.height * o.margin + height, Math.max(o.height * o.margin + height, o.height - height));
  const boxes = pasteString(
    page,
    digits.map((d) => d.ink),
    { ...layout, x, cy, height },
    rng,
  );
  photograph(page, photoOptions(o, rng), rng);
  return {
    image: page,
    digits: boxes.map((box, i) =>
      digits[i].label === undefined ? { box } : { box, label: digits[i].label },
    ),
  };
}
