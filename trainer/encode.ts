/**
 * PNG output for reports and annotated pages. PNG because it is lossless: a report showing a misread digit
 * must show the exact pixels the model saw, not JPEG's ringing around them.
 */
import sharp from 'sharp';
import { checkImage, toGray8, type GrayImage } from '../preprocess/image.ts';
import { checkInteger, fail } from '../preprocess/validate.ts';

/** 8-bit RGBA pixels, row-major (canvas ImageData, annotated overlays). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array | Uint8ClampedArray;
}

function toBuffer(bytes: Uint8Array | Uint8ClampedArray): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Encodes a grey image (values clamped to [0, 1], 1 = white) or RGBA pixels as PNG. */
export async function encodePng(image: GrayImage | RgbaImage): Promise<Buffer> {
  if (typeof image !== 'object' || image === null) {
    fail('a GrayImage {width, height, data} or {width, height, rgba}', 'image', image);
  }
  if ('rgba' in image) {
    const { width, height, rgba } = image;
    checkInteger(width, 'image.width', 1);
    checkInteger(height, 'image.height', 1);
    if (!(rgba instanceof Uint8Array || rgba instanceof Uint8ClampedArray))
      fail('a Uint8Array', 'image.rgba', rgba);
    if (rgba.length !== width * height * 4) {
      fail(`length ${width * height * 4} (width * height * 4)`, 'image.rgba.length', rgba.length);
    }
    return sharp(toBuffer(rgba), { raw: { width, height, channels: 4 }, limitInputPixels: false })
      .png()
      .toBuffer();
  }
  checkImage(image);
  const { width, height } = image;
  return sharp(toBuffer(toGray8(image)), { raw: { width, height, channels: 1 }, limitInputPixels: false })
    .png()
    .toBuffer();
}
