/**
 * The inference worker's JS heap, measured through the Chrome DevTools Protocol: a page's CDP session
 * auto-attaches to its workers, and Runtime.getHeapUsage after a forced GC is the live heap, free of
 * garbage that merely has not been collected yet.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

interface TargetMessage {
  sessionId: string;
  message: string;
}

export class WorkerHeap {
  private constructor(
    private readonly client: CDPSession,
    private readonly sessionId: string,
  ) {}

  private nextId = 1;

  /** Attaches to the page's worker whose name contains `name` (waits for it to exist). */
  static async attach(
    context: BrowserContext,
    page: Page,
    name: string,
    timeoutMs = 30_000,
  ): Promise<WorkerHeap> {
    const client = await context.newCDPSession(page);
    const found = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`No worker named like ${name} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      client.on('Target.attachedToTarget', (event) => {
        const info = event.targetInfo;
        if (info.type === 'worker' && (info.title.includes(name) || info.url.includes(name))) {
          clearTimeout(timer);
          resolve(event.sessionId);
        }
      });
    });
    await client.send('Target.setAutoAttach', {
      autoAttach: true,
      waitForDebuggerOnStart: false,
      flatten: false,
    });
    return new WorkerHeap(client, await found);
  }

  private call<T>(method: string, params: object = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onMessage = (event: TargetMessage) => {
        if (event.sessionId !== this.sessionId) return;
        const msg = JSON.parse(event.message) as { id?: number; result?: T; error?: { message: string } };
        if (msg.id !== id) return;
        this.client.off('Target.receivedMessageFromTarget', onMessage);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
        else resolve(msg.result as T);
      };
      this.client.on('Target.receivedMessageFromTarget', onMessage);
      void this.client
        .send('Target.sendMessageToTarget', {
          sessionId: this.sessionId,
          message: JSON.stringify({ id, method, params }),
        })
        .catch(reject);
    });
  }

  /** Live JS heap of the worker after a full GC, bytes. */
  async usedAfterGc(): Promise<number> {
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.collectGarbage');
    const usage = await this.call<{ usedSize: number }>('Runtime.getHeapUsage');
    return usage.usedSize;
  }
}
