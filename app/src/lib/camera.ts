/** getUserMedia with the choices a phone user needs, and its failures as messages with a way forward. */

export type CameraProblemKind =
  'insecure' | 'unsupported' | 'denied' | 'no-camera' | 'in-use' | 'lost' | 'failed';

export interface CameraProblem {
  kind: CameraProblemKind;
  title: string;
  detail: string;
  /** Whether trying again can help (a denied permission needs the site settings first). */
  retry: boolean;
}

export interface CameraRequest {
  deviceId: string | null;
  facing: 'environment' | 'user';
  width: number;
  height: number;
}

export function constraintsFor(r: CameraRequest): MediaStreamConstraints {
  const video: MediaTrackConstraints = {
    width: { ideal: r.width },
    height: { ideal: r.height },
    frameRate: { ideal: 30 },
  };
  if (r.deviceId) video.deviceId = { exact: r.deviceId };
  else video.facingMode = { ideal: r.facing };
  return { video, audio: false };
}

export function cameraProblem(error: unknown): CameraProblem {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return {
        kind: 'denied',
        title: 'Camera permission denied',
        detail:
          'digitlens needs the camera to read digits live. Allow it in the site settings (the icon left of the address), then try again, or read photos instead.',
        retry: true,
      };
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return {
        kind: 'no-camera',
        title: 'No camera found',
        detail: 'This device has no camera the browser can use. Upload photos or scans, or draw a digit.',
        retry: true,
      };
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return {
        kind: 'in-use',
        title: 'The camera is busy',
        detail: 'Another app or tab may be using it. Close it and try again, or upload photos instead.',
        retry: true,
      };
    default:
      return {
        kind: 'failed',
        title: 'The camera could not start',
        detail: `${error instanceof Error ? error.message : String(error)}. Try again, or upload photos instead.`,
        retry: true,
      };
  }
}

export const CAMERA_LOST: CameraProblem = {
  kind: 'lost',
  title: 'The camera stopped',
  detail: 'It was unplugged, taken by another app, or switched off. Try again, or upload photos instead.',
  retry: true,
};

/** What stops the camera before asking: no secure context, or a browser without getUserMedia. */
export function cameraUnavailable(win: Window): CameraProblem | null {
  if (!win.isSecureContext) {
    return {
      kind: 'insecure',
      title: 'The camera needs a secure page',
      detail:
        'Browsers give the camera only to https:// pages and localhost. Open the app over https, or upload photos.',
      retry: false,
    };
  }
  if (!win.navigator.mediaDevices?.getUserMedia) {
    return {
      kind: 'unsupported',
      title: 'This browser has no camera access',
      detail: 'Upload photos or scans instead, or open digitlens in a current browser.',
      retry: false,
    };
  }
  return null;
}

/** Width and height of a frame shrunk so that its longer side is at most maxSide (never enlarged). */
export function fitFrame(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Maps frame coordinates to the element showing the video with object-fit: cover (or contain). */
export function coverTransform(
  frame: { width: number; height: number },
  view: { width: number; height: number },
  fit: 'cover' | 'contain' = 'cover',
): { scale: number; dx: number; dy: number } {
  const s =
    fit === 'cover'
      ? Math.max(view.width / frame.width, view.height / frame.height)
      : Math.min(view.width / frame.width, view.height / frame.height);
  return { scale: s, dx: (view.width - frame.width * s) / 2, dy: (view.height - frame.height * s) / 2 };
}
