import * as core from '@actions/core'
import { redact } from './errors.js'
import type { PipelineResult } from './pipelines.js'

/** A table of the job summary, built by the module that owns the results. */
export interface SummarySection {
  title: string
  headers: string[]
  rows: string[][]
}

/** One log line, printed inside its region's log group. */
export interface RegionLine {
  region: string
  line: string
}

const STATUS_ICON: Record<string, string> = {
  updated: '✅ updated',
  imported: '✅ imported',
  removed: '✅ removed',
  planned: '📝 planned',
  skipped: '⏭️ skipped',
  absent: '➖ absent',
  failed: '❌ failed'
}

export function statusCell(status: string): string {
  return STATUS_ICON[status] ?? status
}

function versionCell(result: PipelineResult): string {
  const before = result.versionBefore ?? '–'
  if (result.status === 'planned')
    return `${before} → ${typeof before === 'number' ? before + 1 : '–'}`
  if (result.versionAfter === undefined) return String(before)
  return `${before} → ${result.versionAfter}`
}

export function pipelineSection(results: PipelineResult[]): SummarySection {
  return {
    title: 'CodePipeline',
    headers: ['Region', 'Pipeline', 'GitHub actions patched', 'Version', 'Status'],
    rows: results.map((r) => [
      r.region,
      r.stack ? `${r.pipeline} (stack ${r.stack})` : r.pipeline,
      r.githubActions.join(', ') || '–',
      versionCell(r),
      [statusCell(r.status), r.error ?? r.note ?? ''].filter(Boolean).join(': ')
    ])
  }
}

export function pipelineLines(results: PipelineResult[]): RegionLine[] {
  return results.map((r) => {
    const actions = r.githubActions.length > 0 ? ` [${r.githubActions.join(', ')}]` : ''
    const version =
      r.versionAfter !== undefined
        ? ` v${r.versionBefore} → v${r.versionAfter}`
        : r.versionBefore !== undefined
          ? ` v${r.versionBefore}`
          : ''
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} pipeline ${r.pipeline}${actions}${version}${detail ? ` — ${detail}` : ''}`
    }
  })
}

const escapeCell = (text: string): string =>
  text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;')

export function renderMarkdown(
  heading: string,
  intro: string[],
  sections: SummarySection[],
  warnings: string[]
): string {
  const out: string[] = [`## ${heading}`, '']
  for (const line of intro) out.push(line, '')
  for (const section of sections) {
    if (section.rows.length === 0) continue
    out.push(`### ${section.title}`, '')
    out.push(`| ${section.headers.join(' | ')} |`)
    out.push(`| ${section.headers.map(() => '---').join(' | ')} |`)
    for (const row of section.rows) out.push(`| ${row.map(escapeCell).join(' | ')} |`)
    out.push('')
  }
  if (warnings.length > 0) {
    out.push('### Warnings', '')
    for (const warning of warnings) out.push(`- ${escapeCell(warning)}`)
    out.push('')
  }
  return redact(out.join('\n'))
}

/** Prints one log group per region, in the order the regions were given. */
export async function printRegionLogs(lines: RegionLine[], regions: string[]): Promise<void> {
  const order = [...new Set([...regions, ...lines.map((l) => l.region)])]
  for (const region of order) {
    const own = lines.filter((l) => l.region === region)
    if (own.length === 0) continue
    await core.group(`Region ${region}`, async () => {
      for (const { line } of own) core.info(redact(line))
    })
  }
}

export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) return
  await core.summary.addRaw(markdown, true).write()
}

export function setJsonOutput(name: string, value: unknown): void {
  core.setOutput(name, redact(JSON.stringify(value)))
}
