/**
 * The shape the stores of named values share (Secrets Manager secrets, SSM
 * parameters): the refs the input names plus those other stores contribute,
 * each planned, merged so that a value named twice is one row, grouped into
 * one write per stored value, written, and reported. Each store brings what
 * differs: how a ref is planned, grouped, written and rendered.
 */
import type { Store } from './flow.js'
import { sortByRegion } from './order.js'
import { Contributions, mergeRows, type Lookup, type ValueRef } from './refs.js'
import { countStatuses, emptyReport, type Report, type RegionLine, type Section } from './report.js'

interface ValueResult {
  region: string
  entry: string
  arn?: string
  status: 'updated' | 'planned' | 'skipped' | 'failed'
  from?: string[]
  error?: string
}

interface PlannedRow<R extends ValueResult> {
  ref: ValueRef
  result: R
}

export interface ValueStoreParts<R extends ValueResult, P extends PlannedRow<R>, W> {
  /** The input that names the values (`secrets`), its output and the noun for one value. */
  input: string
  output: string
  noun: string
  /** The summary's headline word, e.g. "Secrets". */
  title: string
  regions: string[]
  /** The refs the input names. */
  inputRefs: ValueRef[]
  /** Stores that may contribute values: this store plans after them. */
  after?: () => Store[]
  plan(ref: ValueRef): Promise<P>
  /** Identifies the stored value once read (undefined: not read). */
  targetOf(row: P): string | undefined
  /** A warning a planned row deserves. */
  warningOf?(row: P): string | undefined
  /** One write per stored value. */
  group(rows: P[]): W[]
  /** Once grouped: the warnings a write deserves (and its dry-run notes). */
  review(write: W, rows: P[]): string[]
  apply(write: W): Promise<void>
  /** What the output lists for an updated value. */
  idOf(result: R): string
  section(results: R[]): Section
  lines(results: R[]): RegionLine[]
}

export interface ValueStore<R> extends Store {
  /** A value another store found; call before this store plans. */
  contribute(ref: ValueRef): Lookup<R>
}

export function valueStore<R extends ValueResult, P extends PlannedRow<R>, W>(
  parts: ValueStoreParts<R, P, W>
): ValueStore<R> {
  const contributions = new Contributions<R>()
  let rows: P[] = []
  let writes: W[] = []
  const warnings: string[] = []
  const sorted = () =>
    sortByRegion(
      rows.map((r) => r.result),
      parts.regions,
      (r) => r.entry
    )

  return {
    get after() {
      return parts.after?.() ?? []
    },
    contribute: (ref) => contributions.add(ref),

    async plan() {
      const refs = [...parts.inputRefs, ...contributions.refs()]
      if (refs.length === 0) return
      const planned = await Promise.all(refs.map((ref) => parts.plan(ref)))
      const { kept, rowOf } = mergeRows(planned, parts.targetOf, `the ${parts.input} input`)
      rows = kept
      contributions.settle((ref) => rowOf.get(ref))
      writes = parts.group(kept)
      const found = [
        ...kept.map((row) => parts.warningOf?.(row)),
        ...writes.flatMap((write) => parts.review(write, kept))
      ]
      for (const warning of found)
        if (warning && !warnings.includes(warning)) warnings.push(warning)
    },

    async apply() {
      await Promise.all(writes.map((write) => parts.apply(write)))
    },

    report(): Report {
      const all = sorted()
      if (all.length === 0 && parts.inputRefs.length === 0) {
        return emptyReport({ outputs: { [parts.output]: [] } })
      }
      return emptyReport({
        sections: [parts.section(all)],
        lines: parts.lines(all),
        outputs: {
          [parts.output]: [
            ...new Set(all.filter((r) => r.status === 'updated').map((r) => parts.idOf(r)))
          ]
        },
        failures: all
          .filter((r) => r.status === 'failed')
          .map((r) => `${r.region} ${parts.noun} ${r.entry}: ${r.error}`),
        warnings,
        headline: `${parts.title}: ${countStatuses(all)}`
      })
    }
  }
}
