/** Cancellable async stages (signal first), after squoosh's lazy-app/util. */

export function abortError(): DOMException {
  return new DOMException('The operation was cancelled', 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

export function assertSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

/** Rejects with an AbortError as soon as the signal fires, else settles as the promise does. */
export function abortable<T>(signal: AbortSignal | undefined, promise: Promise<T>): Promise<T> {
  if (!signal) return promise;
  assertSignal(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The message to show a person for an error, at the edge of the app (never for an abort). */
export function userMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error instanceof DOMException) return error.message;
  return String(error);
}
