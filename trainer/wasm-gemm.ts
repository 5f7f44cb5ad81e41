/**
 * Single-precision matrix products for the training kernels, in a WebAssembly module of our own
 * that shares the TensorFlow.js WASM backend's memory (so operands are never copied across).
 *
 * Why not XNNPACK (what the backend runs): with WASM SIMD it has no fused multiply-add, so a
 * product peaks near 10-12 GMAC/s on one core of the CI machines; it re-packs weights that change
 * every step; and transposed operands need an explicit transpose first. Relaxed SIMD's
 * `f32x4.relaxed_madd` compiles to an FMA instruction, and a 4x8 register tile over operands
 * packed for it runs near the core's FMA peak, about twice XNNPACK's rate (`npm run bench -- --only
 * kernels` compares the kernels built on it with the stock ones). Wider tiles spill registers and
 * ran slower. Packing takes any strides, so transposed operands cost nothing extra.
 *
 * Layouts (element = float32, addresses in bytes):
 *   packed A: [ceil(m/4)][k][4]  — four rows of A interleaved, zero rows past m;
 *   packed B: [ceil(n/8)][k][8]  — eight columns of B interleaved, zero columns past n;
 *   C: row-major with row stride `ldc` elements.
 */
import { setFlagsFromString } from 'node:v8';

import {
  add,
  assembleModule,
  forLoop,
  get,
  i32,
  inc,
  min,
  mul,
  set,
  sub,
  type Expr,
  type FuncDef,
} from './wasm-asm.ts';
import { convPackFuncs } from './wasm-conv-pack.ts';

/** Rows of A and columns of B per register tile. */
export const TILE_M = 4;
export const TILE_N = 8;

export interface GemmKernels {
  /** C = Ap·Bp, or C += Ap·Bp with `accumulate`; Ap, Bp packed, `tmp` 32 floats of scratch. */
  gemm(
    ap: number,
    bp: number,
    c: number,
    m: number,
    k: number,
    n: number,
    ldc: number,
    accumulate: boolean,
    tmp: number,
  ): void;
  /** Packs A[i][kk] = src[i·strideI + kk·strideK] (strides in elements) into `dst`. */
  packA(src: number, dst: number, m: number, k: number, strideI: number, strideK: number): void;
  /** Packs B[kk][j] = src[kk·strideK + j·strideJ] (strides in elements) into `dst`. */
  packB(src: number, dst: number, k: number, n: number, strideK: number, strideJ: number): void;
  /**
   * im2col of an NHWC input with channels in fours into packed A (`wasm-conv-pack.ts`): `rows`
   * for pixels [from, to), `taps` for output rows [from, to).
   */
  packConv(
    kind: 'rows' | 'taps',
    x: number,
    dst: number,
    geometry: ConvGeometry,
    from: number,
    to: number,
  ): void;
  /** Whether the products use fused multiply-adds (relaxed SIMD) or a multiply and an add. */
  fused: boolean;
}

/** A convolution's geometry as `packConv` takes it (pads are the top and left ones). */
export interface ConvGeometry {
  h: number;
  w: number;
  ci: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

export function packedASize(m: number, k: number): number {
  return Math.ceil(m / TILE_M) * TILE_M * k;
}

export function packedBSize(k: number, n: number): number {
  return Math.ceil(n / TILE_N) * TILE_N * k;
}

function gemmFunc(fused: boolean): FuncDef {
  const madd = (a: Expr, b: Expr, c: Expr): Expr =>
    fused ? ['f32x4.relaxed_madd', a, b, c] : ['f32x4.add', ['f32x4.mul', a, b], c];
  const rows = [0, 1, 2, 3];
  const acc = (r: number, h: number): string => `$c${r}${h}`;
  const accs = rows.flatMap((r) => [acc(r, 0), acc(r, 1)]);
  const fullTile = [
    'i32.and',
    ['i32.le_s', add(get('$ib'), i32(TILE_M)), get('$m')],
    ['i32.le_s', add(get('$jb'), i32(TILE_N)), get('$n')],
  ] as Expr;
  const rowPointer = (r: number): Expr => add(get('$pc'), mul(i32(r), get('$ldcB')));
  return {
    name: 'gemm',
    params: [
      ['$ap', 'i32'],
      ['$bp', 'i32'],
      ['$c', 'i32'],
      ['$m', 'i32'],
      ['$k', 'i32'],
      ['$n', 'i32'],
      ['$ldc', 'i32'],
      ['$acc', 'i32'],
      ['$tmp', 'i32'],
    ],
    locals: [
      ...(
        [
          '$jb',
          '$ib',
          '$kk',
          '$pa',
          '$pb',
          '$aRow',
          '$bCol',
          '$pc',
          '$ldcB',
          '$r',
          '$q',
          '$rows',
          '$cols',
          '$d',
        ] as const
      ).map((n) => [n, 'i32'] as const),
      ['$v', 'f32'],
      ...(['$s', '$b0', '$b1', ...accs] as const).map((n) => [n, 'v128'] as const),
    ],
    body: [
      set('$ldcB', ['i32.shl', get('$ldc'), i32(2)]),
      set('$bCol', get('$bp')),
      ...forLoop('$jb', i32(0), get('$n'), TILE_N, [
        set('$aRow', get('$ap')),
        ...forLoop('$ib', i32(0), get('$m'), TILE_M, [
          ...accs.map((a) => set(a, ['v128.zero'])),
          set('$pa', get('$aRow')),
          set('$pb', get('$bCol')),
          set('$kk', get('$k')),
          [
            'block',
            '$k_done',
            ['br_if', '$k_done', ['i32.le_s', get('$kk'), i32(0)]],
            [
              'loop',
              '$k_next',
              set('$b0', ['v128.load', get('$pb'), 0]),
              set('$b1', ['v128.load', get('$pb'), 16]),
              ...rows.flatMap((r) => [
                set('$s', ['v128.load32_splat', get('$pa'), r * 4]),
                set(acc(r, 0), madd(get('$s'), get('$b0'), get(acc(r, 0)))),
                set(acc(r, 1), madd(get('$s'), get('$b1'), get(acc(r, 1)))),
              ]),
              inc('$pa', 16),
              inc('$pb', 32),
              ['br_if', '$k_next', ['local.tee', '$kk', sub(get('$kk'), i32(1))]],
            ],
          ],
          set('$pc', add(get('$c'), ['i32.shl', add(mul(get('$ib'), get('$ldc')), get('$jb')), i32(2)])),
          [
            'if',
            fullTile,
            [
              [
                'if',
                get('$acc'),
                rows.flatMap((r) =>
                  [0, 1].map((h): Expr => [
                    'v128.store',
                    rowPointer(r),
                    h * 16,
                    ['f32x4.add', ['v128.load', rowPointer(r), h * 16], get(acc(r, h))],
                  ]),
                ),
                rows.flatMap((r) =>
                  [0, 1].map((h): Expr => ['v128.store', rowPointer(r), h * 16, get(acc(r, h))]),
                ),
              ],
            ],
            [
              // An edge tile: through `tmp`, then only the rows and columns inside C.
              ...rows.flatMap((r) =>
                [0, 1].map((h): Expr => ['v128.store', get('$tmp'), (r * 8 + h * 4) * 4, get(acc(r, h))]),
              ),
              set('$rows', min(i32(TILE_M), sub(get('$m'), get('$ib')))),
              set('$cols', min(i32(TILE_N), sub(get('$n'), get('$jb')))),
              ...forLoop('$r', i32(0), get('$rows'), 1, [
                ...forLoop('$q', i32(0), get('$cols'), 1, [
                  set(
                    '$d',
                    add(add(get('$pc'), mul(get('$r'), get('$ldcB'))), ['i32.shl', get('$q'), i32(2)]),
                  ),
                  set('$v', [
                    'f32.load',
                    add(get('$tmp'), ['i32.shl', add(['i32.shl', get('$r'), i32(3)], get('$q')), i32(2)]),
                    0,
                  ]),
                  ['if', get('$acc'), [set('$v', ['f32.add', get('$v'), ['f32.load', get('$d'), 0]])]],
                  ['f32.store', get('$d'), 0, get('$v')],
                ]),
              ]),
            ],
          ],
          inc('$aRow', ['i32.shl', get('$k'), i32(4)]),
        ]),
        inc('$bCol', ['i32.shl', get('$k'), i32(5)]),
      ]),
    ],
  };
}

/**
 * Packs `width` (4 for A, 8 for B) lines of a strided matrix, interleaved: dst[g][kk][l] =
 * src[(g·width + l)·strideL + kk·strideK], zero for lines past `lines`. Lines adjacent in memory
 * (strideL 1) are copied a vector at a time.
 */
function packFunc(name: string, width: 4 | 8): FuncDef {
  const vectors = width / 4;
  return {
    name,
    params: [
      ['$src', 'i32'],
      ['$dst', 'i32'],
      ['$lines', 'i32'],
      ['$k', 'i32'],
      ['$strideL', 'i32'],
      ['$strideK', 'i32'],
    ],
    locals: (['$g', '$kk', '$l', '$line', '$p', '$d', '$lB', '$kB'] as const).map((n) => [n, 'i32'] as const),
    body: [
      set('$lB', ['i32.shl', get('$strideL'), i32(2)]),
      set('$kB', ['i32.shl', get('$strideK'), i32(2)]),
      set('$d', get('$dst')),
      ...forLoop('$g', i32(0), get('$lines'), width, [
        [
          'if',
          [
            'i32.and',
            ['i32.eq', get('$strideL'), i32(1)],
            ['i32.le_s', add(get('$g'), i32(width)), get('$lines')],
          ],
          [
            set('$p', add(get('$src'), ['i32.shl', get('$g'), i32(2)])),
            ...forLoop('$kk', i32(0), get('$k'), 1, [
              ...Array.from({ length: vectors }, (_, h): Expr => [
                'v128.store',
                get('$d'),
                h * 16,
                ['v128.load', get('$p'), h * 16],
              ]),
              inc('$d', width * 4),
              inc('$p', get('$kB')),
            ]),
          ],
          [
            ...forLoop('$kk', i32(0), get('$k'), 1, [
              ...forLoop('$l', i32(0), i32(width), 1, [
                set('$line', add(get('$g'), get('$l'))),
                [
                  'if',
                  ['i32.lt_s', get('$line'), get('$lines')],
                  [
                    [
                      'f32.store',
                      get('$d'),
                      0,
                      [
                        'f32.load',
                        add(get('$src'), add(mul(get('$line'), get('$lB')), mul(get('$kk'), get('$kB')))),
                        0,
                      ],
                    ],
                  ],
                  [['f32.store', get('$d'), 0, ['f32.const', 0]]],
                ],
                inc('$d', 4),
              ]),
            ]),
          ],
        ],
      ]),
    ],
  };
}

/** The module's binary: with fused multiply-adds (relaxed SIMD) or with a multiply and an add. */
export function gemmModuleBytes(fused: boolean): Uint8Array<ArrayBuffer> {
  return assembleModule([
    gemmFunc(fused),
    packFunc('packA', TILE_M),
    packFunc('packB', TILE_N),
    ...convPackFuncs(),
  ]);
}

/**
 * Whether relaxed SIMD compiles here: standard since Node 22 (V8 11.4); Node 20 has it behind a
 * V8 flag, which takes effect for modules compiled after it is set.
 */
function relaxedSimdAvailable(bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes);
}

/** The kernels of a compiled `gemmModuleBytes(fused)` over `memory`. */
export function instantiateGemm(
  module: WebAssembly.Module,
  fused: boolean,
  memory: WebAssembly.Memory,
): GemmKernels {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<
    string,
    (...args: number[]) => void
  >;
  return {
    gemm: (ap, bp, c, m, k, n, ldc, accumulate, tmp) =>
      exports.gemm(ap, bp, c, m, k, n, ldc, accumulate ? 1 : 0, tmp),
    packA: (src, dst, m, k, strideI, strideK) => exports.packA(src, dst, m, k, strideI, strideK),
    packB: (src, dst, k, n, strideK, strideJ) => exports.packB(src, dst, n, k, strideJ, strideK),
    packConv: (kind, x, dst, { h, w, ci, oh, ow, kh, kw, sh, sw, pt, pl }, from, to) =>
      (kind === 'rows' ? exports.packConvRows : exports.packConvTaps)(
        x,
        dst,
        h,
        w,
        ci,
        oh,
        ow,
        kh,
        kw,
        sh,
        sw,
        pt,
        pl,
        from,
        to,
      ),
    fused,
  };
}

let compiled: { module: WebAssembly.Module; fused: boolean } | null = null;
const instances = new WeakMap<WebAssembly.Memory, GemmKernels>();

/** The kernels over `memory`, fused where the engine allows (built on first use, then cached). */
export function gemmKernels(memory: WebAssembly.Memory): GemmKernels {
  const cached = instances.get(memory);
  if (cached) return cached;
  if (compiled == null) {
    const fusedBytes = gemmModuleBytes(true);
    const fused = relaxedSimdAvailable(fusedBytes);
    compiled = { module: new WebAssembly.Module(fused ? fusedBytes : gemmModuleBytes(false)), fused };
  }
  const kernels = instantiateGemm(compiled.module, compiled.fused, memory);
  instances.set(memory, kernels);
  return kernels;
}
