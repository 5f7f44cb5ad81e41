/**
 * A tiny WebAssembly assembler for the hand-written kernels in `wasm-gemm.ts`.
 *
 * Why not a .wat file and an assembler package: kernels run synchronously inside TensorFlow.js
 * kernel functions, so their module must be built synchronously on first use, and the one
 * assembler on npm (wabt) only loads asynchronously. Function bodies are folded WAT written as
 * nested arrays, `['i32.add', ['local.get', '$a'], ['i32.const', 4]]`, so they read like WAT.
 *
 * Only the instructions the kernels use are known; an unknown one throws, naming it.
 */

export type ValType = 'i32' | 'f32' | 'v128';
export type Expr = readonly [string, ...Arg[]];
type Arg = Expr | readonly Expr[] | string | number;

export interface FuncDef {
  name: string;
  params: readonly (readonly [string, ValType])[];
  locals: readonly (readonly [string, ValType])[];
  body: readonly Expr[];
}

// Helpers for writing folded WAT.
export const get = (n: string): Expr => ['local.get', n];
export const set = (n: string, e: Expr): Expr => ['local.set', n, e];
export const i32 = (v: number): Expr => ['i32.const', v];
export const add = (a: Expr, b: Expr): Expr => ['i32.add', a, b];
export const sub = (a: Expr, b: Expr): Expr => ['i32.sub', a, b];
export const mul = (a: Expr, b: Expr): Expr => ['i32.mul', a, b];
export const inc = (n: string, by: Expr | number): Expr =>
  set(n, add(get(n), typeof by === 'number' ? i32(by) : by));
export const min = (a: Expr, b: Expr): Expr => ['select', a, b, ['i32.lt_s', a, b]];

/** for (v = start; v < end; v += step) body — `end` is re-read every pass. */
export function forLoop(v: string, start: Expr, end: Expr, step: number, body: Expr[]): Expr[] {
  return [
    set(v, start),
    [
      'block',
      `$${v}_done`,
      [
        'loop',
        `$${v}_next`,
        ['br_if', `$${v}_done`, ['i32.ge_s', get(v), end]],
        ...body,
        inc(v, step),
        ['br', `$${v}_next`],
      ],
    ],
  ];
}

const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Instructions whose immediates are none: every operand is an expression, emitted first. */
const PLAIN: Record<string, number[]> = {
  'i32.eq': [0x46],
  'i32.lt_s': [0x48],
  'i32.lt_u': [0x49],
  'i32.le_s': [0x4c],
  'i32.ge_s': [0x4e],
  'i32.add': [0x6a],
  'i32.sub': [0x6b],
  'i32.mul': [0x6c],
  'i32.div_u': [0x6e],
  'i32.and': [0x71],
  'i32.shl': [0x74],
  'f32.add': [0x92],
  select: [0x1b],
  'f32x4.add': [0xfd, 0xe4, 0x01],
  'f32x4.mul': [0xfd, 0xe6, 0x01],
  'f32x4.relaxed_madd': [0xfd, 0x85, 0x02],
};

/** Memory instructions: opcode and natural alignment (log2 bytes); form [op, address, offset?, value?]. */
const MEMORY: Record<string, { code: number[]; align: number; store: boolean }> = {
  'f32.load': { code: [0x2a], align: 2, store: false },
  'f32.store': { code: [0x38], align: 2, store: true },
  'v128.load': { code: [0xfd, 0x00], align: 4, store: false },
  'v128.load32_splat': { code: [0xfd, 0x09], align: 2, store: false },
  'v128.store': { code: [0xfd, 0x0b], align: 4, store: true },
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Encodes one function body: its locals, then its code (branches resolve labels by name). */
function encodeBody(fn: FuncDef): number[] {
  const locals = new Map<string, number>();
  for (const [n] of [...fn.params, ...fn.locals]) {
    if (locals.has(n)) throw new Error(`Duplicate local ${n} in ${fn.name}`);
    locals.set(n, locals.size);
  }
  const labels: (string | null)[] = [];
  const out: number[] = [];

  const localIndex = (n: unknown): number => {
    const i = locals.get(String(n));
    if (i === undefined) throw new Error(`Unknown local ${String(n)} in ${fn.name}`);
    return i;
  };
  const depth = (label: unknown): number => {
    const i = labels.lastIndexOf(String(label));
    if (i < 0) throw new Error(`Unknown label ${String(label)} in ${fn.name}`);
    return labels.length - 1 - i;
  };
  const emit = (e: Expr): void => {
    const [op, ...args] = e;
    if (op in PLAIN) {
      for (const a of args) emit(a as Expr);
      out.push(...PLAIN[op]);
      return;
    }
    if (op in MEMORY) {
      const { code, align, store } = MEMORY[op];
      const [address, offset = 0, value] = args as [Expr, number?, Expr?];
      emit(address);
      if (store) emit(value as Expr);
      out.push(...code, ...uleb(align), ...uleb(offset));
      return;
    }
    switch (op) {
      case 'local.get':
        out.push(0x20, ...uleb(localIndex(args[0])));
        return;
      case 'local.set':
      case 'local.tee':
        emit(args[1] as Expr);
        out.push(op === 'local.set' ? 0x21 : 0x22, ...uleb(localIndex(args[0])));
        return;
      case 'i32.const':
        out.push(0x41, ...sleb(args[0] as number));
        return;
      case 'f32.const': {
        const b = new Uint8Array(new Float32Array([args[0] as number]).buffer);
        out.push(0x43, ...b);
        return;
      }
      case 'i8x16.shuffle': {
        // [op, a, b, ...16 lane indices]
        emit(args[0] as Expr);
        emit(args[1] as Expr);
        out.push(0xfd, 0x0d, ...(args.slice(2) as number[]));
        return;
      }
      case 'v128.zero':
        out.push(0xfd, 0x0c, ...new Array<number>(16).fill(0));
        return;
      case 'block':
      case 'loop':
        labels.push(String(args[0]));
        out.push(op === 'block' ? 0x02 : 0x03, 0x40);
        for (const a of args.slice(1)) emit(a as Expr);
        out.push(0x0b);
        labels.pop();
        return;
      case 'if': {
        const [cond, then, otherwise] = args as [Expr, Expr[], Expr[]?];
        emit(cond);
        labels.push(null);
        out.push(0x04, 0x40);
        for (const a of then) emit(a);
        if (otherwise) {
          out.push(0x05);
          for (const a of otherwise) emit(a);
        }
        out.push(0x0b);
        labels.pop();
        return;
      }
      case 'br':
        out.push(0x0c, ...uleb(depth(args[0])));
        return;
      case 'br_if':
        emit(args[1] as Expr);
        out.push(0x0d, ...uleb(depth(args[0])));
        return;
      default:
        throw new Error(`Unknown instruction ${op} in ${fn.name}`);
    }
  };
  for (const e of fn.body) emit(e);
  out.push(0x0b);

  // Locals are declared as runs of one type.
  const groups: number[][] = [];
  for (const [, t] of fn.locals) {
    const last = groups[groups.length - 1];
    if (last && last[1] === TYPE_CODE[t]) last[0]++;
    else groups.push([1, TYPE_CODE[t]]);
  }
  const body = [...vector(groups.map(([count, code]) => [...uleb(count), code])), ...out];
  return [...uleb(body.length), ...body];
}

/**
 * A module that imports its memory as env.memory (at least one page) and exports `funcs`, each
 * returning nothing.
 */
export function assembleModule(funcs: readonly FuncDef[]): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vector(f.params.map(([, t]) => [TYPE_CODE[t]])), 0x00]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vector(funcs.map((_, i) => uleb(i)))),
    ...section(7, vector(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(funcs.map(encodeBody))),
  ];
  return new Uint8Array(bytes);
}
