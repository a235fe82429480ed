/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping each outcome in order.
 *
 * @param items the inputs
 * @param limit the most concurrent calls
 * @param fn the work for one item
 * @returns for each item, its result or the error it threw (never rejects)
 */
export async function settleInOrder<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<Array<R | Error>> {
  const results: Array<R | Error> = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (e) {
        results[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
