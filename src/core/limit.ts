/** Bounded concurrency: every AWS and GitHub call of a run goes through a Limit. */
import pLimit from 'p-limit'

export type Limit = <T>(task: () => Promise<T>) => Promise<T>

export function createLimit(concurrency: number): Limit {
  const limit = pLimit(concurrency)
  return (task) => limit(task)
}
