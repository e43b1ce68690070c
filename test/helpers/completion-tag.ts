/**
 * The mock's completion texts end with the attempt's tag, "Hello from alpha (1f3a-2c).": `untag` gives
 * back "Hello from alpha.", so a test can say which provider answered without knowing which attempt.
 */
export const TAG = / \([0-9a-f]{4}-[0-9a-f]+\)\.$/;

export function untag<T>(text: T): T {
  return (typeof text === "string" ? text.replace(TAG, ".") : text) as T;
}
