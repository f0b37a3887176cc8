/**
 * A value loaded once per isolate (a model from R2, say) and shared by every profile in
 * it. A failed load is forgotten, so a missing object that appears later is found.
 */
export function oncePerIsolate<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (value === undefined) {
    value = load();
    cache.set(key, value);
    value.catch(() => cache.delete(key));
  }
  return value;
}
