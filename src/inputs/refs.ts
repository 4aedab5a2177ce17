/** The `secrets` and `parameters` entries as the values to rotate: once per region each applies to. */
import type { ValueRef } from '../core/refs.js'
import type { ValueEntry } from './types.js'

/** The regions an entry applies to: the ARN's, or every listed region. */
export function entryRegions(entries: ValueEntry[], regions: string[]): string[] {
  const all = new Set<string>()
  for (const e of entries) {
    if (e.region) all.add(e.region)
    else for (const r of regions) all.add(r)
  }
  return [...all]
}

/** Each entry, once per region it applies to. */
export function entryRefs(entries: ValueEntry[], regions: string[]): ValueRef[] {
  return entries.flatMap((e) =>
    (e.region ? [e.region] : regions).map((region) => ({
      entry: e.entry,
      id: e.id,
      key: e.key,
      region,
      account: e.account,
      origin: undefined
    }))
  )
}
