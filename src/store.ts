import type { RegionLine, SummarySection } from './report.js'

/**
 * A place the token lives (CodePipeline, CodeBuild, Secrets Manager). The
 * run plans every store (read-only), checks the token, then applies every
 * store, so nothing is written until everything has been read and checked.
 * (With verify-token: false there is no check to wait for, and pipelines are
 * written as soon as they are read: see pipelineStore's writeOnRead.)
 */
export interface Store {
  /** Read-only: decide what will be written. */
  plan(): Promise<void>
  /** Write the token and verify it landed. Not called in a dry run. */
  apply(token: string): Promise<void>
  /** Summary tables. */
  sections(): SummarySection[]
  /** Log lines, grouped by region by the report. */
  lines(): RegionLine[]
  /** Action outputs this store sets (JSON-encoded by the report). */
  outputs(): Record<string, unknown>
  /** One line per failed target, "region target: reason". */
  failures(): string[]
  /** Warnings to annotate. */
  warnings(): string[]
  /** A one-line count for the summary intro, e.g. "Pipelines: 3 updated". */
  headline(): string | undefined
}

export function countStatuses(results: { status: string }[]): string {
  if (results.length === 0) return 'none selected'
  const counts = new Map<string, number>()
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ')
}

/**
 * Code-point order: the same on every runner whatever its locale, and free of
 * ICU, whose first localeCompare alone costs milliseconds on a fleet's names.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Sorts results by the order the regions were listed in, then by name. */
export function sortByRegion<T extends { region: string }>(
  results: T[],
  regions: string[],
  name: (result: T) => string
): T[] {
  const rank = (region: string) => {
    const i = regions.indexOf(region)
    return i < 0 ? regions.length : i
  }
  return [...results].sort(
    (a, b) =>
      rank(a.region) - rank(b.region) || byText(a.region, b.region) || byText(name(a), name(b))
  )
}
