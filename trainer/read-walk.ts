/**
 * The batch reader's inputs: files and folders named on the command line, walked lazily in a fixed order.
 *
 * The order is the order of the arguments, and inside a folder its entries sorted by name (code-unit
 * order, the same on every machine and file system), depth first. It is computed while walking, never
 * as a whole list, so a folder of a million scans costs one directory listing of memory at a time. The
 * fixed order is what makes `--shard i/n` work: item k (0-based) of the walk belongs to shard
 * (k mod n) + 1, so n machines given the same arguments split the batch between them without talking
 * to each other, and together read every file exactly once.
 *
 * Inside folders only files with an image or PDF extension are taken, and names starting with a dot are
 * skipped (.git, macOS ._ resource forks); a file named on the command line is always read, whatever its
 * name, so that the decoder can say what is wrong with it. Symbolic links are followed. A folder reached
 * again through a link inside itself is a loop: it yields an error item and is not entered. A folder
 * reached twice through different links (not a loop) is read once.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSupportedPath } from './decode.ts';

export interface InputFile {
  kind: 'file';
  path: string;
}

export interface InputError {
  kind: 'error';
  path: string;
  /** A sentence for the user, naming the path. */
  error: string;
  /** 'loop', 'no-images', 'unreadable-folder' or 'broken-link'. */
  code: string;
}

export type InputItem = InputFile | InputError;

export interface Shard {
  /** 1-based: which of the `count` shards this run reads. */
  index: number;
  count: number;
}

export interface WalkOptions {
  shard?: Shard;
  /** Called for each folder skipped because it was already read through another path. */
  onSkip?: (path: string, reason: string) => void;
}

/** Parses `i/n` (1 <= i <= n); returns null for anything else. */
export function parseShard(value: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (
    !Number.isSafeInteger(index) ||
    !Number.isSafeInteger(count) ||
    count < 1 ||
    index < 1 ||
    index > count
  ) {
    return null;
  }
  return { index, count };
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

interface WalkState {
  /** Real paths of every folder entered so far. */
  visited: Set<string>;
  onSkip?: (path: string, reason: string) => void;
}

/** Yields the items under one path; `ancestors` are the real paths of the folders above it. */
async function* walkPath(
  path: string,
  explicit: boolean,
  ancestors: readonly string[],
  state: WalkState,
): AsyncGenerator<InputItem> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    // A named path that is missing is the decoder's to report, in its own words.
    if (explicit) {
      yield { kind: 'file', path };
      return;
    }
    let link = false;
    try {
      link = (await lstat(path)).isSymbolicLink();
    } catch {
      // Gone between the listing and now: nothing to report.
    }
    if (link && isSupportedPath(path)) {
      yield {
        kind: 'error',
        path,
        code: 'broken-link',
        error: `Cannot read "${path}": it is a symbolic link to a file that does not exist (${code(error) ?? 'error'}).`,
      };
    }
    return;
  }
  if (!info.isDirectory()) {
    if (explicit || isSupportedPath(path)) yield { kind: 'file', path };
    return;
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    real = path;
  }
  if (ancestors.includes(real)) {
    yield {
      kind: 'error',
      path,
      code: 'loop',
      error: `Cannot read "${path}": it is a directory loop (a link back to ${real}, which contains it), so it was not entered.`,
    };
    return;
  }
  if (state.visited.has(real)) {
    state.onSkip?.(path, `already read as ${real}`);
    return;
  }
  state.visited.add(real);
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    yield {
      kind: 'error',
      path,
      code: 'unreadable-folder',
      error: `Cannot read the folder "${path}": ${code(error) === 'EACCES' ? 'permission denied' : (error as Error).message}.`,
    };
    return;
  }
  const names = entries
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const below = [...ancestors, real];
  let found = 0;
  for (const entry of names) {
    const child = join(path, entry.name);
    if (entry.isDirectory() || entry.isSymbolicLink()) {
      for await (const item of walkPath(child, false, below, state)) {
        found++;
        yield item;
      }
    } else if (entry.isFile() && isSupportedPath(entry.name)) {
      found++;
      yield { kind: 'file', path: child };
    }
  }
  if (explicit && found === 0) {
    yield {
      kind: 'error',
      path,
      code: 'no-images',
      error: `Cannot read "${path}": the folder holds no image or PDF files (JPEG, PNG, WebP, GIF, AVIF, TIFF, PDF).`,
    };
  }
}

/**
 * Walks the inputs in the fixed order described in the file comment, yielding the files to read and the
 * problems found on the way; with a shard, only that shard's items.
 */
export async function* walkInputs(
  inputs: readonly string[],
  options: WalkOptions = {},
): AsyncGenerator<InputItem> {
  if (!Array.isArray(inputs))
    throw new TypeError(`Expected an array of paths for inputs but received ${typeof inputs}`);
  const state: WalkState = { visited: new Set(), onSkip: options.onSkip };
  const shard = options.shard;
  let k = 0;
  for (const input of inputs) {
    for await (const item of walkPath(input, true, [], state)) {
      if (!shard || k % shard.count === shard.index - 1) yield item;
      k++;
    }
  }
}
