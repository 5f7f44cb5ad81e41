/** Image moments of ink images (ink = positive weight). */
import type { GrayImage } from './image.ts';

export interface Moments {
  /** Total ink. */
  mass: number;
  /** Centre of mass in pixel-index coordinates (pixel (0,0) has its centre at 0,0). */
  cx: number;
  cy: number;
  /** Central second moments, normalised by mass. */
  mu20: number;
  mu02: number;
  mu11: number;
}

export function moments(image: GrayImage): Moments {
  const { width, height, data } = image;
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      mass += v;
      sx += v * x;
      sy += v * y;
    }
  }
  if (mass <= 0) return { mass: 0, cx: (width - 1) / 2, cy: (height - 1) / 2, mu20: 0, mu02: 0, mu11: 0 };
  const cx = sx / mass;
  const cy = sy / mass;
  let mu20 = 0;
  let mu02 = 0;
  let mu11 = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      const dx = x - cx;
      const dy = y - cy;
      mu20 += v * dx * dx;
      mu02 += v * dy * dy;
      mu11 += v * dx * dy;
    }
  }
  return { mass, cx, cy, mu20: mu20 / mass, mu02: mu02 / mass, mu11: mu11 / mass };
}
