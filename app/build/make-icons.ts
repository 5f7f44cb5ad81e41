/**
 * Renders the PWA's PNG icons from public/icon.svg (run after changing the SVG; the PNGs are committed):
 *   npx tsx app/build/make-icons.ts
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

for (const size of [192, 512]) {
  await sharp(`${publicDir}icon.svg`, { density: (72 * size) / 512 })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(`${publicDir}icon-${size}.png`);
}
