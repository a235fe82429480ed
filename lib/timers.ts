/**
 * Timers that do not load Deno's Node compatibility layer.
 *
 * In Deno 2.9 the global `setTimeout` and `setInterval` are Node's (`node:timers`), loaded on
 * their first call: that pulls in the Node timers, `async_hooks`, errors and `util.inspect`
 * modules, ≈18 ms of CPU — as much as the rest of a `cosign verify` start-up beyond Deno's own.
 * `AbortSignal.timeout` runs on Deno's own timer: a listener keeps the process alive until it
 * fires or is removed, and removing it cancels the wait. Every request goes through one of these
 * (lib/http.ts's idle timeout), so this is on every command's path.
 *
 * @module
 */

/**
 * Calls `fn` once after `ms` milliseconds, unless cancelled first.
 *
 * @param ms the delay (negative or fractional values are rounded up to whole milliseconds ≥ 0)
 * @param fn what to call
 * @returns a function that cancels the call (and lets the process exit without waiting for it)
 */
export function after(ms: number, fn: () => void): () => void {
  const signal = AbortSignal.timeout(wholeMs(ms));
  const listener = () => fn();
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * Resolves after `ms` milliseconds; rejects with the signal's reason when `signal` aborts first.
 *
 * @param ms the delay
 * @param signal aborts the wait
 * @returns a promise of the end of the wait
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal!.reason);
    };
    const cancel = after(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `AbortSignal.timeout` takes a whole number of milliseconds within 2^53. */
function wholeMs(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(Math.ceil(ms), Number.MAX_SAFE_INTEGER);
}
