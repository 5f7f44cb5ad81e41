/**
 * im2col straight into the GEMM's packed layouts (`wasm-gemm.ts`), for NHWC float32 inputs:
 * a convolution never materialises its columns and then packs them; it writes them packed.
 *
 * Both functions take the geometry as parameters, in this order (all i32; x and dst are byte
 * addresses): x, dst, h, w, ci, oh, ow, kh, kw, sh, sw, pt, pl, from, to.
 * A tap t = (ky·kw + kx)·ci + c reads x[n, oy·sh + ky - pt, ox·sw + kx - pl, c], zero outside.
 *
 * - `packConvRows`: A[p][t] for pixels p = (n·oh + oy)·ow + ox in [from, to) — the forward product
 *   cols·W. Packed A is [pixel group of 4][t][4]: a 4x4 transpose per four channels.
 * - `packConvTaps`: A[t][p] for output rows g = n·oh + oy in [from, to) (p over those rows'
 *   pixels) — the filter gradient colsᵀ·dy. Packed A is [tap group of 4][p][4]: four channels are
 *   contiguous in x, so one vector copy each.
 * Both need ci to be a multiple of 4 (callers keep other inputs on other paths).
 */
import { add, forLoop, get, i32, inc, mul, set, sub, type Expr, type FuncDef } from './wasm-asm.ts';

const GEOMETRY = [
  '$x',
  '$dst',
  '$h',
  '$w',
  '$ci',
  '$oh',
  '$ow',
  '$kh',
  '$kw',
  '$sh',
  '$sw',
  '$pt',
  '$pl',
  '$from',
  '$to',
] as const;
const params = GEOMETRY.map((n) => [n, 'i32'] as const);
const i32Locals = (names: readonly string[]) => names.map((n) => [n, 'i32'] as const);

const shl2 = (e: Expr): Expr => ['i32.shl', e, i32(2)];
const ltU = (a: Expr, b: Expr): Expr => ['i32.lt_u', a, b];
const and = (a: Expr, b: Expr): Expr => ['i32.and', a, b];
const ZERO: Expr = ['v128.zero'];
/** Byte address of x[n, iy, ix, 0]. */
const pixelAddress = (n: Expr, iy: Expr, ix: Expr): Expr =>
  add(get('$x'), shl2(mul(add(mul(add(mul(n, get('$h')), iy), get('$w')), ix), get('$ci'))));

/** Lanes of i8x16.shuffle picking 32-bit lanes `l` of the concatenation a‖b (b's lanes are 4-7). */
const lanes = (...l: number[]): number[] => l.flatMap((v) => [v * 4, v * 4 + 1, v * 4 + 2, v * 4 + 3]);

function packConvRows(): FuncDef {
  const R = [0, 1, 2, 3];
  const perPixel = ['$n', '$iy0', '$ix0', '$ok', '$addr', '$in'];
  const px = (name: string, r: number): string => `${name}${r}`;
  const body: Expr[] = [
    set('$plane', mul(get('$oh'), get('$ow'))),
    set('$d', get('$dst')),
    ...forLoop('$p', get('$from'), get('$to'), 4, [
      // Where each of the four pixels' windows starts; `ok` is 0 for padding pixels past `to`.
      ...R.flatMap((r): Expr[] => [
        set('$q', add(get('$p'), i32(r))),
        set(px('$ok', r), ltU(get('$q'), get('$to'))),
        set(px('$n', r), ['i32.div_u', get('$q'), get('$plane')]),
        set('$q', sub(get('$q'), mul(get(px('$n', r)), get('$plane')))),
        set('$oy', ['i32.div_u', get('$q'), get('$ow')]),
        set(px('$iy0', r), sub(mul(get('$oy'), get('$sh')), get('$pt'))),
        set(px('$ix0', r), sub(mul(sub(get('$q'), mul(get('$oy'), get('$ow'))), get('$sw')), get('$pl'))),
      ]),
      ...forLoop('$ky', i32(0), get('$kh'), 1, [
        ...forLoop('$kx', i32(0), get('$kw'), 1, [
          // A pixel outside x reads from x itself (a safe address) and is then replaced by zero.
          ...R.flatMap((r): Expr[] => {
            const iy = add(get(px('$iy0', r)), get('$ky'));
            const ix = add(get(px('$ix0', r)), get('$kx'));
            return [
              set(px('$in', r), and(get(px('$ok', r)), and(ltU(iy, get('$h')), ltU(ix, get('$w'))))),
              set(px('$addr', r), [
                'select',
                pixelAddress(get(px('$n', r)), iy, ix),
                get('$x'),
                get(px('$in', r)),
              ]),
            ];
          }),
          ...forLoop('$c', i32(0), get('$ci'), 4, [
            ...R.map((r): Expr =>
              set(`$v${r}`, ['select', ['v128.load', get(px('$addr', r)), 0], ZERO, get(px('$in', r))]),
            ),
            // 4x4 transpose: rows are pixels, columns channels.
            set('$t0', ['i8x16.shuffle', get('$v0'), get('$v1'), ...lanes(0, 4, 1, 5)]),
            set('$t1', ['i8x16.shuffle', get('$v0'), get('$v1'), ...lanes(2, 6, 3, 7)]),
            set('$t2', ['i8x16.shuffle', get('$v2'), get('$v3'), ...lanes(0, 4, 1, 5)]),
            set('$t3', ['i8x16.shuffle', get('$v2'), get('$v3'), ...lanes(2, 6, 3, 7)]),
            ['v128.store', get('$d'), 0, ['i8x16.shuffle', get('$t0'), get('$t2'), ...lanes(0, 1, 4, 5)]],
            ['v128.store', get('$d'), 16, ['i8x16.shuffle', get('$t0'), get('$t2'), ...lanes(2, 3, 6, 7)]],
            ['v128.store', get('$d'), 32, ['i8x16.shuffle', get('$t1'), get('$t3'), ...lanes(0, 1, 4, 5)]],
            ['v128.store', get('$d'), 48, ['i8x16.shuffle', get('$t1'), get('$t3'), ...lanes(2, 3, 6, 7)]],
            inc('$d', 64),
            ...R.map((r): Expr => inc(px('$addr', r), 16)),
          ]),
        ]),
      ]),
    ]),
  ];
  return {
    name: 'packConvRows',
    params,
    locals: [
      ...i32Locals(['$plane', '$d', '$p', '$q', '$oy', '$ky', '$kx', '$c']),
      ...i32Locals(perPixel.flatMap((name) => R.map((r) => px(name, r)))),
      ...['$v0', '$v1', '$v2', '$v3', '$t0', '$t1', '$t2', '$t3'].map((n) => [n, 'v128'] as const),
    ],
    body,
  };
}

function packConvTaps(): FuncDef {
  return {
    name: 'packConvTaps',
    params,
    locals: i32Locals(['$d', '$ky', '$kx', '$c', '$g', '$n', '$iy', '$ix', '$ox', '$row']),
    body: [
      // Tap groups in order, each a run of (to - from)·ow packed pixels: one running pointer.
      set('$d', get('$dst')),
      ...forLoop('$ky', i32(0), get('$kh'), 1, [
        ...forLoop('$kx', i32(0), get('$kw'), 1, [
          ...forLoop('$c', i32(0), get('$ci'), 4, [
            ...forLoop('$g', get('$from'), get('$to'), 1, [
              set('$n', ['i32.div_u', get('$g'), get('$oh')]),
              set(
                '$iy',
                add(sub(mul(sub(get('$g'), mul(get('$n'), get('$oh'))), get('$sh')), get('$pt')), get('$ky')),
              ),
              [
                'if',
                ltU(get('$iy'), get('$h')),
                [
                  set('$row', add(pixelAddress(get('$n'), get('$iy'), i32(0)), shl2(get('$c')))),
                  ...forLoop('$ox', i32(0), get('$ow'), 1, [
                    set('$ix', add(sub(mul(get('$ox'), get('$sw')), get('$pl')), get('$kx'))),
                    [
                      'if',
                      ltU(get('$ix'), get('$w')),
                      [
                        [
                          'v128.store',
                          get('$d'),
                          0,
                          ['v128.load', add(get('$row'), shl2(mul(get('$ix'), get('$ci')))), 0],
                        ],
                      ],
                      [['v128.store', get('$d'), 0, ZERO]],
                    ],
                    inc('$d', 16),
                  ]),
                ],
                forLoop('$ox', i32(0), get('$ow'), 1, [['v128.store', get('$d'), 0, ZERO], inc('$d', 16)]),
              ],
            ]),
          ]),
        ]),
      ]),
    ],
  };
}

export function convPackFuncs(): FuncDef[] {
  return [packConvRows(), packConvTaps()];
}
