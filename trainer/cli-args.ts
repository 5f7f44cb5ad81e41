/** Small helpers for the commands' flags: numbers and choices checked with messages that name the flag. */

export class UsageError extends Error {
  override name = 'UsageError';
}

export function intFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max = Infinity,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`Expected an integer ${range} for ${flag} but received ${JSON.stringify(value)}`);
  }
  return n;
}

export function numberFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(
      `Expected a number in [${min}, ${max}] for ${flag} but received ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function choiceFlag<T extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(
      `Expected one of ${choices.join(', ')} for ${flag} but received ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/** True when this module is the process's entry point (the commands' main guard). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  const url = new URL(metaUrl);
  return url.pathname === entry || url.pathname === new URL(`file://${entry}`).pathname;
}
