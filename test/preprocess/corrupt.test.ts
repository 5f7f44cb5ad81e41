import { describe, expect, test } from 'vitest';
import {
  MNIST_C,
  MNIST_C_NAMES,
  cannyEdges,
  dottedLine,
  fog,
  glassBlur,
  jpegBlocking,
  lowContrast,
  motionBlur,
  plasmaFractal,
  shotNoise,
  spatter,
  stripes,
  zigzag,
  type MnistCName,
} from '../../preprocess/corrupt.ts';
import type { GrayImage } from '../../preprocess/image.ts';
import { createRng, type Rng } from '../../preprocess/random.ts';

// Synthetic digits, drawn here so that the tests need no fixture files.

function blank(width = 28, height = 28): GrayImage {
  return { width, height, data: new Float32Array(width * height) };
}

function fillRect(image: GrayImage, x0: number, y0: number, x1: number, y1: number, value = 1): GrayImage {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) image.data[y * image.width + x] = value;
  return image;
}

/** A vertical bar, 3 px wide and 16 px tall: a "1". */
const bar = (): GrayImage => fillRect(blank(), 13, 6, 16, 22);

/** A "7": a top bar and an anti-aliased diagonal. */
function seven(): GrayImage {
  const image = fillRect(blank(), 7, 6, 21, 9);
  for (let y = 9; y <= 22; y++) {
    const cx = 20 - (y - 8) * 0.5;
    for (let x = 0; x < 28; x++) {
      const v = Math.max(0, Math.min(1, 1.6 - Math.abs(x - cx)));
      image.data[y * 28 + x] = Math.max(image.data[y * 28 + x], v);
    }
  }
  return image;
}

const bytes = (image: GrayImage): number[] => Array.from(image.data);
const mass = (image: GrayImage): number => image.data.reduce((a, b) => a + b, 0);

function sd(image: GrayImage): number {
  const m = mass(image) / image.data.length;
  return Math.sqrt(image.data.reduce((a, v) => a + (v - m) ** 2, 0) / image.data.length);
}

function expectValid(image: GrayImage, width = 28, height = 28): void {
  expect(image.width).toBe(width);
  expect(image.height).toBe(height);
  expect(image.data).toBeInstanceOf(Float32Array);
  expect(image.data.length).toBe(width * height);
  const bad = image.data.findIndex((v) => !(v >= 0 && v <= 1));
  expect(bad, `pixel ${bad} = ${image.data[bad]}`).toBe(-1);
}

describe('MNIST-C', () => {
  test('has the 15 corruptions of the paper', () => {
    expect(MNIST_C_NAMES).toHaveLength(15);
    expect(Object.keys(MNIST_C).sort()).toEqual([...MNIST_C_NAMES].sort());
  });

  /** Corruptions whose output does not depend on the rng (MNIST-C applies them identically to every digit). */
  const fixed = new Set<MnistCName>(['scale', 'brightness', 'stripe', 'canny_edges']);

  test.each(MNIST_C_NAMES.map((name) => ({ name })))(
    '$name: a valid 28x28 image, different from the input, input untouched',
    ({ name }) => {
      const input = seven();
      const out = MNIST_C[name](input, createRng(1));
      expectValid(out);
      expect(bytes(out)).not.toEqual(bytes(seven()));
      expect(bytes(input)).toEqual(bytes(seven()));
      expect(out.data).not.toBe(input.data);
    },
  );

  test.each(MNIST_C_NAMES.map((name) => ({ name })))('$name: same seed, same bytes', ({ name }) => {
    expect(bytes(MNIST_C[name](seven(), createRng(77)))).toEqual(
      bytes(MNIST_C[name](seven(), createRng(77))),
    );
  });

  test.each(MNIST_C_NAMES.filter((name) => !fixed.has(name)).map((name) => ({ name })))(
    '$name: other seeds give other outputs',
    ({ name }) => {
      // shear and rotate only draw a sign and translate two, so look across a few seeds.
      const outputs = new Set(
        [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => bytes(MNIST_C[name](seven(), createRng(seed))).join()),
      );
      expect(outputs.size).toBeGreaterThan(1);
    },
  );

  test('brightness adds 0.5 and clips', () => {
    const out = MNIST_C.brightness(seven(), createRng(1));
    seven().data.forEach((v, i) => {
      if (Math.abs(out.data[i] - Math.min(1, v + 0.5)) > 1e-6) expect.fail(`pixel ${i}`);
    });
  });

  test('stripe inverts the outer quarters only', () => {
    const out = MNIST_C.stripe(seven(), createRng(1));
    expect(out.data[0]).toBe(1);
    expect(out.data[27]).toBe(1);
    expect(out.data[7]).toBe(0);
    expect(out.data[6 * 28 + 10]).toBe(1);
  });

  test('scale shrinks the digit to 70% about the centre', () => {
    const before = bar();
    const after = MNIST_C.scale(before, createRng(1));
    expect(mass(after) / mass(before)).toBeCloseTo(0.49, 1);
  });

  test.each([
    { name: 'rotate', corruption: 'rotate' as const },
    { name: 'shear', corruption: 'shear' as const },
  ])('$name of a bar keeps its ink near the centre', ({ corruption }) => {
    const out = MNIST_C[corruption](bar(), createRng(3));
    expect(mass(out) / mass(bar())).toBeGreaterThan(0.85);
    expect(out.data[13 * 28 + 14]).toBeGreaterThan(0.5);
  });

  test('translate moves the ink by 3 px on each axis', () => {
    const out = MNIST_C.translate(bar(), createRng(4));
    let m = 0;
    let cx = 0;
    let cy = 0;
    out.data.forEach((v, i) => {
      m += v;
      cx += v * (i % 28);
      cy += v * Math.floor(i / 28);
    });
    expect(Math.abs(cx / m - 14)).toBeCloseTo(3, 5);
    expect(Math.abs(cy / m - 13.5)).toBeCloseTo(3, 5);
  });

  test('canny_edges outlines a filled square and leaves its inside empty', () => {
    const out = MNIST_C.canny_edges(fillRect(blank(), 8, 8, 20, 20), createRng(1));
    expect(out.data.every((v) => v === 0 || v === 1)).toBe(true);
    expect(out.data[14 * 28 + 14]).toBe(0);
    expect(out.data[2 * 28 + 2]).toBe(0);
    const edgeColumn = [7, 8].some((x) => out.data[14 * 28 + x] === 1);
    expect(edgeColumn).toBe(true);
    expect(mass(out)).toBeGreaterThan(30);
  });

  test('impulse_noise turns about 17% of pixels to 0 or 1', () => {
    const gray = fillRect(blank(), 0, 0, 28, 28, 0.5);
    const changed = MNIST_C.impulse_noise(gray, createRng(2)).data.filter((v) => v !== 0.5).length;
    expect(changed / 784).toBeGreaterThan(0.13);
    expect(changed / 784).toBeLessThan(0.18);
  });
});

describe('parameterised corruptions', () => {
  test('shotNoise leaves background at 0 and has the right mean on ink', () => {
    const out = shotNoise(fillRect(blank(), 0, 0, 28, 14), createRng(5), { rate: 3 });
    expect(out.data.slice(14 * 28).every((v) => v === 0)).toBe(true);
    // E[min(1, Poisson(3) / 3)] = 1 - P(0) - 2/3 P(1) - 1/3 P(2) = 0.75.
    expect(mass(out) / (14 * 28)).toBeGreaterThan(0.68);
    expect(mass(out) / (14 * 28)).toBeLessThan(0.82);
  });

  test('glassBlur spreads the ink but keeps most of it', () => {
    const out = glassBlur(bar(), createRng(1));
    expectValid(out);
    expect(Math.abs(mass(out) - mass(bar())) / mass(bar())).toBeLessThan(0.05);
    expect(out.data.filter((v) => v > 0.01).length).toBeGreaterThan(bar().data.filter((v) => v > 0).length);
  });

  test('plasmaFractal spans [0, 1] and is reproducible', () => {
    const a = plasmaFractal(createRng(3), 64, 2);
    expect(a.length).toBe(64 * 64);
    expect(Math.min(...a)).toBe(0);
    expect(Math.max(...a)).toBe(1);
    expect(Array.from(a)).toEqual(Array.from(plasmaFractal(createRng(3), 64, 2)));
  });

  test('fog keeps the strokes brighter than the haze around them', () => {
    const out = fog(bar(), createRng(2));
    expectValid(out);
    // Ink 1 + 3 * plasma and haze 3 * plasma are both scaled by 1 / 4: the strokes stay 0.25 above.
    const inside = out.data[14 * 28 + 14];
    const beside = out.data[14 * 28 + 11];
    expect(inside - beside).toBeGreaterThan(0.1);
  });

  test('spatter covers some pixels with mud and leaves the rest alone', () => {
    const input = seven();
    const changed = spatter(input, createRng(3)).data.filter((v, i) => Math.abs(v - input.data[i]) > 1e-6);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(784 * 0.8);
  });

  test.each([
    { name: 'dottedLine', run: dottedLine },
    { name: 'zigzag', run: zigzag },
  ])('$name only adds ink', ({ run }) => {
    for (const seed of [1, 2, 3]) {
      const out = run(seven(), createRng(seed));
      expectValid(out);
      if (out.data.some((v, i) => v < seven().data[i])) expect.fail(`seed ${seed} removed ink`);
      expect(mass(out)).toBeGreaterThan(mass(seven()));
    }
  });

  test('motionBlur smears along its direction and keeps the mass', () => {
    const out = motionBlur(bar(), { length: 6, angle: 0 });
    expect(Math.abs(mass(out) - mass(bar())) / mass(bar())).toBeLessThan(0.01);
    // A horizontal smear widens the vertical bar but does not lengthen it.
    expect(out.data[14 * 28 + 11]).toBeGreaterThan(0);
    expect(out.data[3 * 28 + 14]).toBe(0);
    expect(bytes(motionBlur(bar(), { length: 0, angle: 30 }))).toEqual(bytes(bar()));
  });

  test('jpegBlocking gets worse as quality drops and is near-lossless at 100', () => {
    const error = (quality: number): number => {
      const out = jpegBlocking(seven(), { quality });
      expectValid(out);
      return Math.sqrt(out.data.reduce((a, v, i) => a + (v - seven().data[i]) ** 2, 0) / 784);
    };
    const e = [100, 75, 30, 5].map(error);
    expect(e[0]).toBeLessThan(0.01);
    for (let i = 1; i < e.length; i++) expect(e[i]).toBeGreaterThan(e[i - 1]);
  });

  test('jpegBlocking handles sizes that are not multiples of 8', () => {
    expectValid(jpegBlocking(fillRect(blank(13, 21), 3, 3, 9, 17), { quality: 50 }), 13, 21);
  });

  test('lowContrast shrinks the spread of grey levels by the factor', () => {
    expect(sd(lowContrast(seven(), { factor: 0.3 })) / sd(seven())).toBeCloseTo(0.3, 3);
  });

  test('stripes draws rows of ink every period', () => {
    const out = stripes(blank(), { period: 7, width: 1, angle: 0, intensity: 1 });
    const rows = [0, 7, 14, 21].map((y) => out.data[y * 28 + 5]);
    expect(rows).toEqual([1, 1, 1, 1]);
    expect(out.data[3 * 28 + 5]).toBe(0);
    const vertical = stripes(blank(), { period: 7, width: 1, angle: 90, intensity: 1 });
    expect(vertical.data[10 * 28 + 7]).toBeCloseTo(1, 5);
    expect(vertical.data[10 * 28 + 10]).toBe(0);
  });
});

describe('bad inputs fail with "Expected ... but received ..."', () => {
  const cases: { name: string; run: () => unknown; message: RegExp }[] = [
    {
      name: 'quality 0',
      run: () => jpegBlocking(seven(), { quality: 0 }),
      message: /Expected an integer in \[1, 100\] for options.quality but received 0/,
    },
    {
      name: 'fractional quality',
      run: () => jpegBlocking(seven(), { quality: 50.5 }),
      message: /for options.quality but received 50.5/,
    },
    {
      name: 'NaN angle',
      run: () => motionBlur(seven(), { length: 3, angle: NaN }),
      message: /Expected a finite number for options.angle but received NaN/,
    },
    {
      name: 'negative length',
      run: () => motionBlur(seven(), { length: -1 }),
      message: /for options.length but received -1/,
    },
    { name: 'factor above 1', run: () => lowContrast(seven(), { factor: 2 }), message: /for options.factor/ },
    {
      name: 'period 0',
      run: () => stripes(seven(), { period: 0 }),
      message: /for options.period but received 0/,
    },
    {
      name: 'plasma size not a power of two',
      run: () => plasmaFractal(createRng(1), 100),
      message: /Expected a power of two for size but received 100/,
    },
    {
      name: 'MNIST-C without an rng',
      run: () => MNIST_C.fog(seven(), null as unknown as Rng),
      message: /Expected an Rng .* for rng but received null/,
    },
    {
      name: 'MNIST-C with a bad image',
      run: () => MNIST_C.stripe({ width: 28, height: 28, data: new Float32Array(10) }, createRng(1)),
      message: /Expected length 784 .* for image.data.length but received 10/,
    },
    {
      name: 'canny thresholds out of order',
      run: () => cannyEdges(seven(), { low: 0.5, high: 0.1 }),
      message: /for options.high but received 0.1/,
    },
  ];
  test.each(cases)('$name', ({ run, message }) => {
    expect(run).toThrow(message);
  });
});
