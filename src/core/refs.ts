/**
 * A stored value to rotate (a secret, a parameter), named in the inputs or
 * found by another store: the template a stack was built from, CodeBuild's
 * credential. The store that writes it hands back a lookup of its result.
 */
export interface ValueRef {
  /** As the user sees it, e.g. ci/github#token. */
  entry: string
  /** The name or ARN to read. */
  id: string
  key: string | undefined
  region: string
  /** The account an ARN names. */
  account: string | undefined
  /** Where it was found, when not in the inputs, e.g. "stack ci-stack". */
  origin: string | undefined
}

/** Reads the result of a contributed value, once its store has planned or written it. */
export type ContributionLookup<R> = () => R | undefined

/**
 * Values found by other stores, collected before the writing store plans.
 * Once it has taken them (close), a contribution throws: it would never be
 * planned, so never written, and the old token could be revoked while that
 * value still holds it.
 */
export class Contributions<R> {
  readonly #items: { ref: ValueRef; result?: R }[] = []
  #closed = false

  /** `late` says what a contribution that came too late is, for the error. */
  constructor(private readonly late: (ref: ValueRef) => string) {}

  add(ref: ValueRef): ContributionLookup<R> {
    if (this.#closed) throw new Error(this.late(ref))
    const item: { ref: ValueRef; result?: R } = { ref }
    this.#items.push(item)
    return () => item.result
  }

  /** The refs contributed, for the plan; no more are taken after this. */
  close(): ValueRef[] {
    this.#closed = true
    return this.#items.map((i) => i.ref)
  }

  /** Ties each contributed ref to the result its store made for it. */
  settle(resultOf: (ref: ValueRef) => R | undefined): void {
    for (const item of this.#items) item.result = resultOf(item.ref)
  }
}

/** The stores that also named a value, for its row: " (from stack app)". */
export const fromText = (r: { from?: string[] }): string =>
  r.from?.length ? ` (from ${r.from.join(', ')})` : ''

interface Row {
  ref: ValueRef
  result: { from?: string[] }
}

/**
 * One row per stored value: a value named twice (by name and by ARN, in the
 * input and by a stack) is shown once, with every place that named it.
 * `targetOf` identifies the value once read (undefined: not read, kept as is).
 * Returns the rows kept and, for each ref, the result that stands for it.
 */
export function mergeRows<P extends Row>(
  planned: P[],
  targetOf: (row: P) => string | undefined,
  inputName: string
): { kept: P[]; rowOf: Map<ValueRef, P['result']> } {
  const byTarget = new Map<string, P>()
  const kept: P[] = []
  const rowOf = new Map<ValueRef, P['result']>()
  for (const row of planned) {
    const id = targetOf(row)
    const first = id === undefined ? undefined : byTarget.get(id)
    if (first) {
      const from = new Set([...(first.result.from ?? []), ...(row.result.from ?? [])])
      // The input is named only when the row kept came from another store.
      if (!row.ref.origin && first.ref.origin) from.add(inputName)
      if (from.size > 0) first.result.from = [...from]
      rowOf.set(row.ref, first.result)
      continue
    }
    if (id !== undefined) byTarget.set(id, row)
    kept.push(row)
    rowOf.set(row.ref, row.result)
  }
  return { kept, rowOf }
}
