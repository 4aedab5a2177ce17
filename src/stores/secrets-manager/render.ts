/** How secret results are shown: the summary table and the log lines. */
import { clip } from '../../core/clip.js'
import { fromText } from '../../core/refs.js'
import { statusCell, type RegionLine, type Section } from '../../core/report.js'
import type { SecretResult } from './types.js'

const shortVersion = (id: string | undefined) => (id ? clip(id, 8) : '–')

function versions(r: SecretResult): string {
  return r.versionAfter
    ? `${shortVersion(r.versionBefore)} → ${shortVersion(r.versionAfter)}`
    : shortVersion(r.versionBefore)
}

export function secretSection(results: SecretResult[]): Section {
  return {
    title: 'Secrets Manager',
    headers: ['Region', 'Secret', 'Key', 'Version', 'Status'],
    rows: results.map((r) => [
      r.region,
      `${r.secretId}${fromText(r)}`,
      r.key ?? '(whole value)',
      versions(r),
      statusCell(r.status, r.error ?? r.note)
    ])
  }
}

export function secretLines(results: SecretResult[]): RegionLine[] {
  return results.map((r) => {
    const version = r.versionBefore || r.versionAfter ? ` ${versions(r)}` : ''
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} secret ${r.entry}${fromText(r)}${version}${detail ? ` — ${detail}` : ''}`
    }
  })
}
