import { describe, expect, test } from 'vitest';

import { assembleModule } from '../../trainer/wasm-asm.ts';
import {
  gemmKernels,
  gemmModuleBytes,
  instantiateGemm,
  packedASize,
  packedBSize,
  type ConvGeometry,
  type GemmKernels,
} from '../../trainer/wasm-gemm.ts';

/** A seeded generator in [-0.5, 0.5), so that a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function variants(): { name: string; kernels: GemmKernels; heap: () => Float32Array }[] {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const fused = gemmKernels(memory);
  const plainMemory = new WebAssembly.Memory({ initial: 64 });
  const plain = instantiateGemm(new WebAssembly.Module(gemmModuleBytes(false)), false, plainMemory);
  return [
    {
      name: fused.fused ? 'fused multiply-add' : 'multiply and add (no relaxed SIMD here)',
      kernels: fused,
      heap: () => new Float32Array(memory.buffer),
    },
    { name: 'multiply and add', kernels: plain, heap: () => new Float32Array(plainMemory.buffer) },
  ];
}

describe.each(variants())('GEMM ($name)', ({ kernels, heap }) => {
  const shapes = [
    [1, 1, 1],
    [3, 5, 7],
    [4, 8, 8],
    [5, 9, 17],
    [33, 70, 13],
    [64, 288, 64],
    [9, 100, 32],
    [6, 0, 10],
  ];
  test.each(shapes)('C[%i x %i x %i] = op(A)·op(B) for every layout, set and accumulated', (m, k, n) => {
    const next = random(m * 131 + k * 17 + n);
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        for (const accumulate of [false, true]) {
          const A = 0;
          const B = A + m * k;
          const C = B + k * n;
          // Guard cells around C must come out untouched.
          const end = C + m * n + 8;
          const AP = end + 8;
          const BP = AP + packedASize(m, k);
          const TMP = BP + packedBSize(k, n);
          const h = heap();
          for (let i = 0; i < TMP + 32; i++) h[i] = next();
          const before = h.slice(0, end);
          const a = (i: number, kk: number) => before[A + (transposeA ? kk * m + i : i * k + kk)];
          const b = (kk: number, j: number) => before[B + (transposeB ? j * k + kk : kk * n + j)];
          kernels.packA(A * 4, AP * 4, m, k, transposeA ? 1 : k, transposeA ? m : 1);
          kernels.packB(B * 4, BP * 4, k, n, transposeB ? 1 : n, transposeB ? k : 1);
          kernels.gemm(AP * 4, BP * 4, C * 4, m, k, n, n, accumulate, TMP * 4);
          let worst = 0;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = accumulate ? before[C + i * n + j] : 0;
              for (let kk = 0; kk < k; kk++) sum += a(i, kk) * b(kk, j);
              worst = Math.max(worst, Math.abs(sum - h[C + i * n + j]));
            }
          }
          expect(worst).toBeLessThan(1e-4);
          expect([...h.slice(C + m * n, end)]).toEqual([...before.slice(C + m * n, end)]);
          expect([...h.slice(0, C)]).toEqual([...before.slice(0, C)]);
        }
      }
    }
  });

  test.each([
    { x: [2, 5, 6, 4], k: [3, 3], s: [1, 1], p: [1, 1] },
    { x: [1, 7, 7, 8], k: [3, 3], s: [1, 1], p: [1, 1] },
    { x: [3, 6, 5, 8], k: [2, 3], s: [2, 1], p: [0, 1] },
    { x: [2, 9, 9, 12], k: [5, 5], s: [2, 2], p: [2, 2] },
    { x: [1, 4, 4, 4], k: [1, 1], s: [1, 1], p: [0, 0] },
  ])('im2col into packed A: x $x, kernel $k, strides $s, pads $p', ({ x, k, s, p }) => {
    const [nb, h, w, ci] = x;
    const [kh, kw] = k;
    const [sh, sw] = s;
    const [pt, pl] = p;
    const oh = Math.floor((h + 2 * pt - kh) / sh) + 1;
    const ow = Math.floor((w + 2 * pl - kw) / sw) + 1;
    const geometry: ConvGeometry = { h, w, ci, oh, ow, kh, kw, sh, sw, pt, pl };
    const X = 16;
    const size = nb * h * w * ci;
    const D = X + size + 64;
    const next = random(size);
    const f = heap();
    for (let i = 0; i < size; i++) f[X + i] = next();
    const taps = kh * kw * ci;
    const expected = (pixel: number, t: number): number => {
      const n = Math.floor(pixel / (oh * ow));
      const q = pixel - n * oh * ow;
      const oy = Math.floor(q / ow);
      const ox = q - oy * ow;
      const c = t % ci;
      const kx = Math.floor(t / ci) % kw;
      const ky = Math.floor(t / ci / kw);
      const iy = oy * sh + ky - pt;
      const ix = ox * sw + kx - pl;
      return iy < 0 || iy >= h || ix < 0 || ix >= w ? 0 : f[X + ((n * h + iy) * w + ix) * ci + c];
    };
    const pixels = nb * oh * ow;
    for (const [from, to] of [
      [0, pixels],
      [3, pixels - 2],
    ]) {
      f.fill(NaN, D, D + packedASize(to - from, taps));
      kernels.packConv('rows', X * 4, D * 4, geometry, from, to);
      let mismatches = 0;
      for (let g = 0; g < Math.ceil((to - from) / 4); g++) {
        for (let t = 0; t < taps; t++) {
          for (let r = 0; r < 4; r++) {
            const pixel = from + g * 4 + r;
            const want = pixel < to ? expected(pixel, t) : 0;
            if (f[D + (g * taps + t) * 4 + r] !== want) mismatches++;
          }
        }
      }
      expect(mismatches).toBe(0);
    }
    const rows = nb * oh;
    for (const [g0, g1] of [
      [0, rows],
      [1, rows - 1],
    ]) {
      const columns = (g1 - g0) * ow;
      f.fill(NaN, D, D + taps * columns);
      kernels.packConv('taps', X * 4, D * 4, geometry, g0, g1);
      let mismatches = 0;
      for (let t = 0; t < taps; t++) {
        for (let c = 0; c < columns; c++) {
          if (f[D + ((t >> 2) * columns + c) * 4 + (t & 3)] !== expected(g0 * ow + c, t)) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
    }
  });
});

describe('the assembler', () => {
  const fn = (body: unknown[]) => ({
    name: 'f',
    params: [['$a', 'i32']] as const,
    locals: [],
    body: body as never,
  });

  test('builds a module that runs', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const bytes = assembleModule([
      fn([
        [
          'f32.store',
          ['local.get', '$a'],
          4,
          ['f32.add', ['f32.load', ['local.get', '$a'], 0], ['f32.const', 3]],
        ],
      ]),
    ]);
    const { f } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as {
      f: (a: number) => void;
    };
    new Float32Array(memory.buffer)[2] = 1.5;
    f(8);
    expect(new Float32Array(memory.buffer)[3]).toBe(4.5);
  });

  test.each([
    [[['i64.add', ['local.get', '$a'], ['local.get', '$a']]], 'Unknown instruction i64.add in f'],
    [[['local.get', '$b']], 'Unknown local $b in f'],
    [[['br', '$nowhere']], 'Unknown label $nowhere in f'],
  ])('names what it cannot assemble (%j)', (body, message) => {
    expect(() => assembleModule([fn(body)])).toThrow(message);
  });
});
