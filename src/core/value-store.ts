/**
 * The one cycle the stores of named values share (Secrets Manager secrets,
 * SSM parameters). Plan: each ref the input names or another store
 * contributed is read, refused or planned; a value named twice is one row;
 * the rows of one stored value are one write. Apply, per write: read again,
 * edit the latest text, refuse, put, read back and verify. Each store plugs
 * in what differs (a ValueBackend): how a value is read, refused, put and
 * verified, and how its rows are shown.
 *
 * With previous-token given, every value read is scanned for it: a key or a
 * labelled older version that still holds it is a holdout, which keeps the
 * old token from being revoked.
 */
import { messageOf } from './errors.js'
import type { Store } from './flow.js'
import { heldIn, newValueText, ValueShapeError } from './json-edit.js'
import { sortByRegion } from './order.js'
import { Contributions, mergeRows, type ContributionLookup, type ValueRef } from './refs.js'
import { countStatuses, emptyReport, type Report, type RegionLine, type Section } from './report.js'
import type { SealedToken } from './sealed-token.js'

type ValueStatus = 'updated' | 'planned' | 'skipped' | 'failed'

/** What every row of a value store shows; each store adds its own columns. */
export interface ValueResult {
  region: string
  /** The entry as given, e.g. ci/github#token. */
  entry: string
  key?: string
  arn?: string
  status: ValueStatus
  /** Where it was named besides the input, e.g. "stack ci-stack". */
  from?: string[]
  error?: string
  note?: string
}

/** A stored value as one read found it. */
export interface StoredValue<M> {
  /** Identifies it in its region (a secret's ARN, a parameter's name). */
  id: string
  /** The name hints show (#key examples) and warnings name. */
  name: string
  text: string
  /** What else the store read with it, for its write and its check (version, settings). */
  meta: M
  /** A warning the value deserves once a write is planned (e.g. its own rotation). */
  warning?: string
}

/** Why a row ends at its read: it fails, or there is nothing to do. */
type Stop = { status: 'failed'; error: string } | { status: 'skipped'; note: string }

/** What the plan's read of one ref found. */
export interface ReadOutcome<M> {
  /** The stored value, once identified (also when the row then stops): rows naming it merge. */
  id?: string
  stored?: StoredValue<M>
  stop?: Stop
}

/** One write: every row that names the same stored value in a region. */
export interface ValueWrite<R, M> {
  region: string
  /** The value as planned. */
  stored: StoredValue<M>
  keys: string[] | 'whole'
  results: R[]
}

/** What a store plugs into the cycle. Each call registers every value it reads as a secret. */
interface ValueBackend<R extends ValueResult, M, P> {
  /** The row for a ref before anything is read (the store's own columns). */
  row(ref: ValueRef): R
  /** Reads the value a ref names, filling the row's columns. */
  read(ref: ValueRef, row: R): Promise<ReadOutcome<M>>
  /** Why `text` cannot be written to the value (e.g. its AllowedPattern); `planning` adds what to do. */
  refuse?(stored: StoredValue<M>, text: string, planning: boolean): Promise<string | undefined>
  /** Reads the value again right before its write; throws what AWS threw. */
  reread(write: ValueWrite<R, M>): Promise<StoredValue<M>>
  /** Writes `text`; throws what AWS threw. */
  put(write: ValueWrite<R, M>, current: StoredValue<M>, text: string): Promise<P>
  /** The row's columns once the put landed (the new version). */
  written(put: P): Partial<R>
  /**
   * Reads back what `put` wrote: undefined when the value holds `text`,
   * as that write, with its settings kept; otherwise what is wrong.
   */
  verify(
    write: ValueWrite<R, M>,
    current: StoredValue<M>,
    text: string,
    put: P
  ): Promise<string | undefined>
  /** The row's columns once verified. */
  updated(write: ValueWrite<R, M>, current: StoredValue<M>, added: string[], put: P): Partial<R>
  /** What failed in a call of the cycle, and what to do. */
  describe(error: unknown, call: 'reread' | 'put'): string
  /** A dry run's note: what would be written. */
  wouldWrite(write: ValueWrite<R, M>, added: string[]): string
  /** Warnings a planned write deserves, besides a key it adds. */
  warnings?(write: ValueWrite<R, M>): string[]
  /**
   * Where the value's older versions that readers can still reach by a
   * label or stage hold `previous` (never its current value), or why that
   * could not be checked: each is a holdout.
   */
  olderHolders?(stored: StoredValue<M>, previous: SealedToken, region: string): Promise<string[]>
}

export interface ValueStoreParts<R extends ValueResult, M, P> {
  /** The input that names the values (`secrets`), its output and the noun for one value. */
  input: string
  output: string
  noun: string
  /** The summary's headline word, e.g. "Secrets". */
  title: string
  regions: string[]
  dryRun: boolean
  token: SealedToken
  /** The token being replaced, when given: every value read is scanned for it. */
  previous: SealedToken | undefined
  /** The refs the input names. */
  inputRefs: ValueRef[]
  backend: ValueBackend<R, M, P>
  /** What the output lists for an updated value. */
  idOf(result: R): string
  section(results: R[]): Section
  lines(results: R[]): RegionLine[]
}

export interface ValueStore<R> extends Store {
  /** A value another store found; throws once this store has planned. */
  contribute(ref: ValueRef): ContributionLookup<R>
}

interface Planned<R, M> {
  ref: ValueRef
  result: R
  id?: string
  stored?: StoredValue<M>
}

/** What a stored value holds once the run is done with it, to scan for the previous token. */
interface Final {
  region: string
  name: string
  text: string | undefined
}

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)

export function valueStore<R extends ValueResult, M, P>(
  parts: ValueStoreParts<R, M, P>
): ValueStore<R> {
  const { backend, token, noun } = parts
  const contributions = new Contributions<R>(
    (ref) =>
      `${capitalised(noun)} ${ref.entry} (from ${ref.origin ?? 'the inputs'}) was contributed after the ${parts.input} store planned, so it would never be written: the contributing store must name it in its descriptor's \`contributes\``
  )
  let rows: Planned<R, M>[] = []
  let writes: ValueWrite<R, M>[] = []
  const warnings: string[] = []
  /** Per stored value: what it holds at the end (the write's text once it is done). */
  const finals = new Map<string, Final>()
  const olderHolders: string[] = []
  /** The writes whose put landed: a failure after it says so. */
  const landed = new WeakSet<ValueWrite<R, M>>()
  const warn = (warning: string | undefined) => {
    if (warning && !warnings.includes(warning)) warnings.push(warning)
  }
  const sorted = () =>
    sortByRegion(
      rows.map((r) => r.result),
      parts.regions,
      (r) => r.entry
    )
  const targetOf = (row: Planned<R, M>) =>
    row.id === undefined ? undefined : `${row.result.region} ${row.id} ${row.result.key ?? ''}`
  const valueKey = (region: string, id: string) => `${region} ${id}`

  async function planRef(ref: ValueRef): Promise<Planned<R, M>> {
    const result = backend.row(ref)
    if (ref.key !== undefined) result.key = ref.key
    if (ref.origin) result.from = [ref.origin]
    const stop = (s: Stop, id?: string): Planned<R, M> => ({
      ref,
      result: { ...result, ...s },
      ...(id === undefined ? {} : { id })
    })
    let read: ReadOutcome<M>
    try {
      read = await backend.read(ref, result)
    } catch (error) {
      return stop({ status: 'failed', error: `could not be read: ${messageOf(error)}` })
    }
    const { id, stored } = read
    if (read.stop || !stored) {
      return stop(read.stop ?? { status: 'failed', error: 'could not be read' }, id)
    }
    const planned: Planned<R, M> = { ref, result, id: stored.id, stored }
    try {
      const keys = ref.key === undefined ? 'whole' : [ref.key]
      const { text } = newValueText(stored.text, keys, token.reveal(), stored.name)
      if (text === stored.text) {
        const note =
          ref.key === undefined
            ? 'already holds this token'
            : `key '${ref.key}' already holds this token`
        return { ...planned, result: { ...result, status: 'skipped', note } }
      }
      const refused = await backend.refuse?.(stored, text, true)
      if (refused) return { ...stop({ status: 'failed', error: refused }), id: stored.id }
    } catch (error) {
      const message = error instanceof ValueShapeError ? error.message : messageOf(error)
      return { ...stop({ status: 'failed', error: message }), id: stored.id }
    }
    return planned
  }

  /** One write per stored value and region, so two keys of one value cannot overwrite each other. */
  function group(planned: Planned<R, M>[]): ValueWrite<R, M>[] {
    const byValue = new Map<string, ValueWrite<R, M>>()
    for (const { result, stored } of planned) {
      if (result.status !== 'planned' || !stored) continue
      const id = valueKey(result.region, stored.id)
      const write = byValue.get(id) ?? {
        region: result.region,
        stored,
        keys: result.key === undefined ? 'whole' : [],
        results: []
      }
      byValue.set(id, write)
      write.results.push(result)
      if (write.keys !== 'whole' && result.key !== undefined && !write.keys.includes(result.key)) {
        write.keys = [...write.keys, result.key]
      }
    }
    return [...byValue.values()]
  }

  /** Once grouped: the keys a write adds, its warnings, and a dry run's note. */
  function review(write: ValueWrite<R, M>): void {
    const { stored, region } = write
    const setAll = (patch: Partial<R>) => {
      for (const result of write.results) Object.assign(result, patch)
    }
    let planned: { text: string; added: string[] }
    try {
      // Each key was checked alone; setting them together cannot fail then.
      planned = newValueText(stored.text, write.keys, token.reveal(), stored.name)
    } catch (error) {
      setAll({ status: 'failed', error: messageOf(error) } as Partial<R>)
      return
    }
    finals.set(valueKey(region, stored.id), {
      region,
      name: stored.name,
      text: planned.text
    })
    for (const key of planned.added) {
      warn(
        `${capitalised(noun)} '${stored.id}' in ${region} has no key '${key}': it will be added, the other keys kept. If the ${noun}'s readers use another key name, fix the ${parts.input} input.`
      )
    }
    warn(stored.warning)
    for (const warning of backend.warnings?.(write) ?? []) warn(warning)
    if (parts.dryRun) setAll({ note: backend.wouldWrite(write, planned.added) } as Partial<R>)
  }

  async function applyWrite(write: ValueWrite<R, M>): Promise<void> {
    const setAll = (patch: Partial<R>) => {
      for (const result of write.results) Object.assign(result, patch)
    }
    const final = finals.get(valueKey(write.region, write.stored.id))
    const done = (text: string | undefined) => {
      if (final) final.text = text
    }
    done(undefined)
    let current: StoredValue<M>
    let edit: { text: string; added: string[] }
    try {
      current = await backend.reread(write)
      edit = newValueText(current.text, write.keys, token.reveal(), current.name)
    } catch (error) {
      const message =
        error instanceof ValueShapeError
          ? `changed since it was planned and now ${error.message}`
          : backend.describe(error, 'reread')
      return setAll({ status: 'failed', error: message } as Partial<R>)
    }
    if (edit.text === current.text) {
      done(current.text)
      return setAll({
        status: 'skipped',
        note: 'already holds this token (written by someone else meanwhile)'
      } as Partial<R>)
    }
    const refused = await backend.refuse?.(current, edit.text, false)
    if (refused) return setAll({ status: 'failed', error: refused } as Partial<R>)

    let put: P
    try {
      put = await backend.put(write, current, edit.text)
    } catch (error) {
      return setAll({ status: 'failed', error: backend.describe(error, 'put') } as Partial<R>)
    }
    landed.add(write)
    setAll(backend.written(put))
    const problem = await backend.verify(write, current, edit.text, put)
    if (problem) return setAll({ status: 'failed', error: problem } as Partial<R>)
    done(edit.text)
    setAll({ status: 'updated', ...backend.updated(write, current, edit.added, put) })
  }

  /** The holdouts: where the values read still hold the previous token. */
  function holdouts(): string[] {
    const previous = parts.previous
    if (previous === undefined) return []
    const found = [...olderHolders]
    for (const final of finals.values()) {
      if (final.text === undefined) continue
      for (const where of heldIn(final.text, previous.reveal())) {
        found.push(`${noun} ${final.name} in ${final.region}: ${where} still holds previous-token`)
      }
    }
    return found
  }

  async function scanOlderVersions(): Promise<void> {
    const previous = parts.previous
    if (previous === undefined || !backend.olderHolders) return
    const scanned = new Set<string>()
    await Promise.all(
      rows.map(async ({ result, stored }) => {
        if (!stored || result.status === 'failed') return
        const key = valueKey(result.region, stored.id)
        if (scanned.has(key)) return
        scanned.add(key)
        let found: string[]
        try {
          found = (await backend.olderHolders?.(stored, previous, result.region)) ?? []
        } catch (error) {
          found = [
            `its older versions could not be checked for previous-token: ${messageOf(error)}`
          ]
        }
        for (const where of found) {
          olderHolders.push(`${noun} ${stored.name} in ${result.region}: ${where}`)
        }
      })
    )
  }

  return {
    contribute: (ref) => contributions.add(ref),

    async plan() {
      const refs = [...parts.inputRefs, ...contributions.close()]
      if (refs.length === 0) return
      const planned = await Promise.all(refs.map((ref) => planRef(ref)))
      const { kept, rowOf } = mergeRows(planned, targetOf, `the ${parts.input} input`)
      rows = kept
      contributions.settle((ref) => rowOf.get(ref))
      // A value the run leaves as it is: what it holds now.
      for (const { result, stored } of kept) {
        if (result.status === 'skipped' && stored) {
          const key = valueKey(result.region, stored.id)
          if (!finals.has(key)) {
            finals.set(key, { region: result.region, name: stored.name, text: stored.text })
          }
        }
      }
      writes = group(kept)
      for (const write of writes) finals.delete(valueKey(write.region, write.stored.id))
      for (const write of writes) review(write)
      writes = writes.filter((w) => w.results.every((r) => r.status === 'planned'))
      await scanOlderVersions()
    },

    async apply() {
      await Promise.all(
        writes.map(async (write) => {
          try {
            await applyWrite(write)
          } catch (error) {
            // Whatever broke, this write fails alone, saying how far it got.
            const wrote = landed.has(write)
            for (const result of write.results) {
              if (result.status !== 'planned') continue
              Object.assign(result, {
                status: 'failed',
                error: `${wrote ? 'was written, but then ' : ''}failed unexpectedly: ${messageOf(error)}`
              })
            }
          }
        })
      )
    },

    report(): Report {
      const all = sorted()
      if (all.length === 0 && parts.inputRefs.length === 0) {
        return emptyReport({ outputs: { [parts.output]: [] } })
      }
      const held = holdouts()
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
          .map((r) => `${r.region} ${noun} ${r.entry}: ${r.error}`),
        warnings: [
          ...warnings,
          ...held.map(
            (h) => `${capitalised(h)}: previous-token is kept (not revoked) until this is resolved`
          )
        ],
        headline: `${parts.title}: ${countStatuses(all)}`,
        holdouts: held
      })
    }
  }
}
