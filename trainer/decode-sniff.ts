/**
 * Recognises file formats from their first bytes (magic numbers), never from the extension: a photo saved
 * with the wrong suffix still decodes, and a web page saved as "scan.png" gets a message that says so.
 */

/** Formats the decoders read: the sharp ones and PDF (mupdf). */
export type DecodableFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heif' | 'pdf';

export interface Sniffed {
  /** The format to decode with, or null when the bytes are not a format we read. */
  readonly format: DecodableFormat | null;
  /** What the bytes look like, for messages: "a JPEG image", "text starting with \"hello\"". */
  readonly looksLike: string;
}

/** How many leading bytes sniffFormat wants (a PDF header may sit anywhere in the first 1024 bytes). */
export const SNIFF_BYTES = 1024;

const KNOWN: Record<DecodableFormat, string> = {
  jpeg: 'a JPEG image',
  png: 'a PNG image',
  webp: 'a WebP image',
  gif: 'a GIF image',
  tiff: 'a TIFF image',
  avif: 'an AVIF image',
  heif: 'a HEIF/HEIC image',
  pdf: 'a PDF document',
};

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, bytes.length); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

function hex(bytes: Uint8Array, n: number): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** ISO base media files (AVIF, HEIC, MP4): the ftyp box lists a major brand and compatible brands. */
function isoBrands(bytes: Uint8Array): string[] | null {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return null;
  const size = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= Math.min(size, bytes.length); at += 4) brands.push(ascii(bytes, at, at + 4));
  return brands;
}

/**
 * Text is what a mis-saved download or a note named ".png" usually is. It has no NUL and almost no other
 * control bytes (tab, CR, LF, FF and ESC are allowed; bytes >= 0x80 may be UTF-8).
 */
function isText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 512);
  if (n === 0) return false;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) return false;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) control++;
  }
  return control <= n / 100;
}

function textSnippet(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 200)).trim();
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  return JSON.stringify(firstLine.length > 40 ? firstLine.slice(0, 40) + '...' : firstLine);
}

function describeText(bytes: Uint8Array): string {
  const head = new TextDecoder('utf-8', { fatal: false })
    .decode(bytes.subarray(0, SNIFF_BYTES))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || /^<\?xml[^>]*>\s*<html/.test(head)) {
    return 'an HTML web page (perhaps the page around the image was saved instead of the image)';
  }
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) {
    return 'an SVG drawing (export it as PNG to read it)';
  }
  if (head.startsWith('<?xml')) return 'an XML document';
  if (head.startsWith('%!ps')) return 'a PostScript document (convert it to PDF to read it)';
  return `text starting with ${textSnippet(bytes)}`;
}

/** Names other well-known binary formats, so the message can say what the file really is. */
function describeBinary(bytes: Uint8Array): string {
  const brands = isoBrands(bytes);
  if (brands) return `an MP4/QuickTime-family file (brand "${brands[0].trim()}"), not a still image we read`;
  if (startsWith(bytes, [0x42, 0x4d]) && bytes.length >= 18) {
    const dib = bytes[14] | (bytes[15] << 8) | (bytes[16] << 16) | (bytes[17] << 24);
    if ([12, 40, 52, 56, 64, 108, 124].includes(dib)) return 'a BMP image (save it as PNG to read it)';
  }
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive (or an Office document)';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'a gzip-compressed file';
  if (
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) ||
    startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])
  ) {
    return 'a JPEG 2000 image (save it as PNG or JPEG to read it)';
  }
  if (
    startsWith(bytes, [0xff, 0x0a]) ||
    startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])
  ) {
    return 'a JPEG XL image (save it as PNG or JPEG to read it)';
  }
  if (ascii(bytes, 0, 4) === '8BPS') return 'a Photoshop document (export it as PNG to read it)';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'a Windows icon';
  if (ascii(bytes, 0, 4) === 'RIFF')
    return `a RIFF file of type "${ascii(bytes, 8, 12)}", not an image we read`;
  return `unrecognised binary data (first bytes: ${hex(bytes, 8)})`;
}

/** Recognises the format from the first bytes of a file (pass at least SNIFF_BYTES when there are that many). */
export function sniffFormat(bytes: Uint8Array): Sniffed {
  const known = (format: DecodableFormat): Sniffed => ({ format, looksLike: KNOWN[format] });
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return known('jpeg');
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return known('png');
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return known('gif');
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return known('webp');
  // Classic TIFF (42) and BigTIFF (43), either byte order.
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return known('tiff');
  }
  const brands = isoBrands(bytes);
  if (brands?.some((b) => AVIF_BRANDS.has(b))) return known('avif');
  if (brands?.some((b) => HEIF_BRANDS.has(b))) return known('heif');
  // Readers accept "%PDF-" anywhere in the first 1024 bytes (some generators put junk before it).
  if (ascii(bytes, 0, SNIFF_BYTES).includes('%PDF-')) return known('pdf');
  if (isText(bytes)) return { format: null, looksLike: describeText(bytes) };
  return { format: null, looksLike: describeBinary(bytes) };
}
