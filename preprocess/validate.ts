/**
 * Input checks shared by every public function of preprocess/.
 * One message format everywhere: "Expected X for NAME but received Y", so tests and users can match it.
 */

export class PreprocessError extends Error {
  override name = 'PreprocessError';
}

/** Short printable description of a value, for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of length ${(value as Uint8Array).length}`;
  if (typeof value === 'object') return `object ${value.constructor?.name ?? ''}`.trim();
  return typeof value;
}

export function fail(expected: string, name: string, received: unknown): never {
  throw new PreprocessError(`Expected ${expected} for ${name} but received ${describe(received)}`);
}

export function checkInteger(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    fail(`an integer ${range}`, name, value);
  }
  return value;
}

export function checkNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min === -Infinity && max === Infinity
        ? ''
        : max === Infinity
          ? ` >= ${min}`
          : min === -Infinity
            ? ` <= ${max}`
            : ` in [${min}, ${max}]`;
    fail(`a finite number${range}`, name, value);
  }
  return value;
}

/** Checks that every element of a float array is finite (NaN and Infinity poison every later step). */
export function checkFinite(data: Float32Array, name: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) fail('finite values', `${name}[${i}]`, data[i]);
  }
}
