/** How parameter results are shown: the summary table and the log lines. */
import { fromText } from '../../core/refs.js'
import { statusCell, type RegionLine, type Section } from '../../core/report.js'
import type { ParameterResult } from './types.js'

function versions(r: ParameterResult): string {
  const before = r.versionBefore ?? '–'
  return r.versionAfter !== undefined ? `${before} → ${r.versionAfter}` : String(before)
}

export function parameterSection(results: ParameterResult[]): Section {
  return {
    title: 'SSM Parameter Store',
    headers: ['Region', 'Parameter', 'Key', 'Type', 'Version', 'Status'],
    rows: results.map((r) => [
      r.region,
      `${r.name}${fromText(r)}`,
      r.key ?? '(whole value)',
      r.type ?? '–',
      versions(r),
      statusCell(r.status, r.error ?? r.note)
    ])
  }
}

export function parameterLines(results: ParameterResult[]): RegionLine[] {
  return results.map((r) => {
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} parameter ${r.entry}${fromText(r)}${r.versionBefore === undefined ? '' : ` v${versions(r)}`}${detail ? ` — ${detail}` : ''}`
    }
  })
}
