/**
 * The Content Security Policy: everything from the app's own origin, nothing from anywhere else, so
 * an image can never leave the device. 'wasm-unsafe-eval' lets the WASM backend and mupdf compile their
 * WebAssembly; blob: is for object URLs of the user's own files (thumbnails, exports) and the camera.
 * It is sent as a header by `vite preview` (so it covers the worker too) and as a <meta> for static hosts.
 */
export const CSP_DIRECTIVES: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self' 'wasm-unsafe-eval'",
  'worker-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' blob: data:",
  'media-src': "'self' blob: mediastream:",
  'connect-src': "'self'",
  'font-src': "'self'",
  'manifest-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'self'",
};

export function cspString(extra: Partial<Record<string, string>> = {}): string {
  return Object.entries({ ...CSP_DIRECTIVES, ...extra })
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}

/** Headers-only directives (a <meta> policy ignores them). */
export const CSP_HEADER_ONLY = { 'frame-ancestors': "'none'" };
