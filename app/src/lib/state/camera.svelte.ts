/**
 * Camera mode: the stream, the frame loop that feeds the worker one frame at a time (frames that arrive
 * while the worker is busy are skipped, so latency never piles up), and the steady reading.
 */
import { isAbortError, userMessage } from '../abort.ts';
import {
  CAMERA_LOST,
  cameraProblem,
  cameraUnavailable,
  constraintsFor,
  fitFrame,
  type CameraProblem,
} from '../camera.ts';
import { FRAME_MAX_SIDE } from '../constants.ts';
import type { PageResult } from '../protocol.ts';
import { readingText, Stabilizer, type StableDigit } from '../stabilizer.ts';
import type { EngineState } from './engine.svelte.ts';
import type { Resolution, Settings } from './settings.svelte.ts';

export type CameraStatus = 'idle' | 'starting' | 'live' | 'frozen' | 'error';

export class CameraController {
  status = $state<CameraStatus>('idle');
  problem = $state.raw<CameraProblem | null>(null);
  /** Problems with a frame (the model failed): shown, while the camera keeps running. */
  frameError = $state('');
  devices = $state.raw<MediaDeviceInfo[]>([]);
  deviceId = $state<string | null>(null);
  facing = $state<'environment' | 'user'>('environment');
  /** The front camera is shown mirrored, as people expect of a selfie view. */
  mirrored = $state(false);
  torchAvailable = $state(false);
  torchOn = $state(false);
  digits = $state.raw<StableDigit[]>([]);
  selectedId = $state<number | null>(null);
  /** Size of the frames read (the coordinate space of the boxes). */
  frame = $state.raw({ width: 0, height: 0 });
  latencyMs = $state(0);
  framesRead = $state(0);
  reading = $derived(readingText(this.digits));
  selected = $derived(this.digits.find((d) => d.id === this.selectedId) ?? this.digits[0] ?? null);

  private stream: MediaStream | null = null;
  private video: HTMLVideoElement | null = null;
  private frameHandle = 0;
  private inFlight = false;
  private session = 0;
  private readonly stabilizer = new Stabilizer();

  constructor(
    private readonly engine: EngineState,
    private readonly settings: Settings,
  ) {}

  /** Opens the camera into a video element; any failure becomes `problem`, never a blank screen. */
  async start(video: HTMLVideoElement): Promise<void> {
    this.video = video;
    const session = ++this.session;
    this.stopStream();
    this.problem = null;
    this.frameError = '';
    const unavailable = cameraUnavailable(window);
    if (unavailable) {
      this.fail(unavailable);
      return;
    }
    this.status = 'starting';
    void this.engine.warm();
    const [width, height] = this.settings.resolution.split('x').map(Number);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(
        constraintsFor({ deviceId: this.deviceId, facing: this.facing, width, height }),
      );
    } catch (error) {
      if (session === this.session) this.fail(cameraProblem(error));
      return;
    }
    if (session !== this.session) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.stream = stream;
    const track = stream.getVideoTracks()[0];
    track.addEventListener('ended', () => {
      if (this.stream === stream) {
        this.stopStream();
        this.fail(CAMERA_LOST);
      }
    });
    const s = track.getSettings();
    if (s.deviceId) this.deviceId = s.deviceId;
    this.mirrored = s.facingMode === 'user';
    if (s.facingMode === 'user' || s.facingMode === 'environment') this.facing = s.facingMode;
    const caps = (track.getCapabilities?.() ?? {}) as MediaTrackCapabilities & { torch?: boolean };
    this.torchAvailable = caps.torch === true;
    this.torchOn = false;
    video.srcObject = stream;
    video.muted = true;
    video.playsInline = true;
    try {
      await video.play();
    } catch (error) {
      if (session === this.session && !isAbortError(error)) this.fail(cameraProblem(error));
      return;
    }
    // Labels are only readable once permission is granted, so list the cameras now.
    try {
      this.devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    } catch {
      this.devices = [];
    }
    this.stabilizer.reset();
    this.digits = [];
    this.status = 'live';
    this.schedule();
  }

  stop(): void {
    this.session++;
    this.stopStream();
    if (this.status !== 'error') this.status = 'idle';
  }

  private stopStream(): void {
    if (this.video && this.frameHandle && 'cancelVideoFrameCallback' in this.video) {
      this.video.cancelVideoFrameCallback(this.frameHandle);
    }
    this.frameHandle = 0;
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    if (this.video) this.video.srcObject = null;
  }

  private fail(problem: CameraProblem): void {
    this.problem = problem;
    this.status = 'error';
  }

  /** Freezes the picture and the reading (to read it calmly, copy it or capture it). */
  freeze(): void {
    if (this.status !== 'live') return;
    this.status = 'frozen';
    this.video?.pause();
  }

  resume(): void {
    if (this.status !== 'frozen') return;
    this.status = 'live';
    void this.video?.play();
    this.schedule();
  }

  /** Next camera in the list (front/back on a phone). */
  async switchCamera(): Promise<void> {
    if (!this.video) return;
    if (this.devices.length > 1) {
      const at = this.devices.findIndex((d) => d.deviceId === this.deviceId);
      this.deviceId = this.devices[(at + 1) % this.devices.length].deviceId;
    } else {
      this.deviceId = null;
      this.facing = this.facing === 'environment' ? 'user' : 'environment';
    }
    await this.start(this.video);
  }

  async setResolution(resolution: Resolution): Promise<void> {
    this.settings.resolution = resolution;
    this.settings.save();
    if (this.video && (this.status === 'live' || this.status === 'frozen')) await this.start(this.video);
  }

  async toggleTorch(): Promise<void> {
    const track = this.stream?.getVideoTracks()[0];
    if (!track || !this.torchAvailable) return;
    const on = !this.torchOn;
    try {
      await track.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
      this.torchOn = on;
    } catch (error) {
      this.frameError = `The torch could not be switched: ${userMessage(error)}`;
    }
  }

  select(id: number): void {
    this.selectedId = id;
  }

  private schedule(): void {
    const video = this.video;
    if (!video || this.status !== 'live') return;
    const next = () => {
      this.frameHandle = 0;
      if (this.status !== 'live') return;
      void this.tick();
      this.schedule();
    };
    if ('requestVideoFrameCallback' in video) this.frameHandle = video.requestVideoFrameCallback(next);
    else requestAnimationFrame(next);
  }

  private async tick(): Promise<void> {
    const video = this.video;
    if (!video || this.inFlight || video.readyState < 2 || !video.videoWidth) return;
    this.inFlight = true;
    const session = this.session;
    const t0 = performance.now();
    try {
      const size = fitFrame(video.videoWidth, video.videoHeight, FRAME_MAX_SIDE);
      const bitmap = await createImageBitmap(video, {
        resizeWidth: size.width,
        resizeHeight: size.height,
        resizeQuality: 'medium',
      });
      const result = await this.engine.bridge.call(
        undefined,
        'readBitmap',
        [bitmap, { layout: 'string', maxSide: 0, includePixels: false }],
        [bitmap],
      );
      if (session !== this.session || this.status !== 'live') return;
      this.accept(result);
      this.latencyMs = performance.now() - t0;
      this.frameError = '';
    } catch (error) {
      if (!isAbortError(error) && session === this.session) this.frameError = userMessage(error);
    } finally {
      this.inFlight = false;
    }
  }

  private accept(result: PageResult): void {
    this.frame = { width: result.width, height: result.height };
    this.digits = this.stabilizer.update(result.digits);
    this.framesRead++;
    if (this.selectedId !== null && !this.digits.some((d) => d.id === this.selectedId))
      this.selectedId = null;
  }
}
