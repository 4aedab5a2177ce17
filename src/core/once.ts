/** A value loaded on first use (an SDK module, an answer every caller shares). */

/** Calls `load` once, on first use, and shares its promise. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => (loaded ??= load())
}
