/**
 * What a store, the gate or the retire step tells the user, and how it is
 * shown: the log (one group per region), annotations, the action's outputs
 * and the job summary. This module knows sections and lines only; each store
 * renders its own results into them (its render.ts).
 */
import * as log from './log.js'
import { cell } from './neutralise.js'

/** A table of the job summary. Cells are plain text; they are escaped here. */
export interface Section {
  title: string
  headers: string[]
  rows: string[][]
}

/** One log line, printed inside its region's group. */
export interface RegionLine {
  region: string
  line: string
}

/** Everything one part of the run has to report. */
export interface Report {
  sections: Section[]
  lines: RegionLine[]
  /** Action outputs, JSON-encoded when written. */
  outputs: Record<string, unknown>
  /** One line per failed target: each fails the step. */
  failures: string[]
  warnings: string[]
  notices: string[]
  /** One line for the summary's intro, e.g. "Pipelines: 3 updated". */
  headline: string | undefined
  /**
   * Places that may still hold (or bring back) the old token after this run;
   * the old token is revoked only when no part reports one.
   */
  holdouts: string[]
  /** Sections that end the summary, after the warnings (the "Moving off GitHub version 1" section). */
  closing: Section[]
}

export function emptyReport(overrides: Partial<Report> = {}): Report {
  return {
    sections: [],
    lines: [],
    outputs: {},
    failures: [],
    warnings: [],
    notices: [],
    headline: undefined,
    holdouts: [],
    closing: [],
    ...overrides
  }
}

/** A step that cannot go on: every line is shown in the failure annotation. */
export class StepFailure extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'))
    this.name = 'StepFailure'
  }
}

const STATUS_ICON: Record<string, string> = {
  updated: '✅ updated',
  migrated: '✅ migrated',
  imported: '✅ imported',
  removed: '✅ removed',
  revoked: '✅ revoked',
  planned: '📝 planned',
  skipped: '⏭️ skipped',
  absent: '➖ absent',
  kept: '➖ kept',
  warned: '⚠️ warned',
  failed: '❌ failed'
}

export function statusCell(status: string, detail?: string): string {
  const icon = STATUS_ICON[status] ?? status
  return detail ? `${icon}: ${detail}` : icon
}

export function countStatuses(results: { status: string }[]): string {
  if (results.length === 0) return 'none selected'
  const counts = new Map<string, number>()
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ')
}

function renderSection(section: Section, out: string[]): void {
  if (section.rows.length === 0) return
  out.push(`### ${cell(section.title)}`, '')
  out.push(`| ${section.headers.map(cell).join(' | ')} |`)
  out.push(`| ${section.headers.map(() => '---').join(' | ')} |`)
  for (const row of section.rows) out.push(`| ${row.map(cell).join(' | ')} |`)
  out.push('')
}

/** The job summary: a heading, intro lines, one table per section, the warnings, the closing sections. */
export function renderSummary(
  heading: string,
  intro: string[],
  sections: Section[],
  warnings: string[],
  closing: Section[] = []
): string {
  const out: string[] = [`## ${cell(heading)}`, '']
  for (const line of intro) out.push(cell(line), '')
  for (const section of sections) renderSection(section, out)
  if (warnings.length > 0) {
    out.push('### Warnings', '')
    for (const warning of warnings) out.push(`- ${cell(warning)}`)
    out.push('')
  }
  for (const section of closing) renderSection(section, out)
  return out.join('\n')
}

/** One log group per region, in the order the regions were given. */
async function printRegionLogs(lines: RegionLine[], regions: string[]): Promise<void> {
  const order = [...new Set([...regions, ...lines.map((l) => l.region)])]
  for (const region of order) {
    const own = lines.filter((l) => l.region === region).map((l) => l.line)
    if (own.length > 0) await log.group(`Region ${region}`, own)
  }
}

export interface Publication {
  title: string
  /** Bold lines before the headlines, e.g. "Dry run — nothing was written". */
  intro: string[]
  reports: Report[]
  regions: string[]
}

/**
 * Prints the log groups first — so every write is listed even if the
 * runner's files then fail — then the annotations, outputs and summary.
 * Throws a StepFailure when any part failed or could not be reported.
 */
export async function publish({ title, intro, reports, regions }: Publication): Promise<void> {
  await printRegionLogs(
    reports.flatMap((r) => r.lines),
    regions
  )
  const warnings = reports.flatMap((r) => r.warnings)
  for (const warning of warnings) log.warning(warning)
  for (const notice of reports.flatMap((r) => r.notices)) log.notice(notice)

  const headlines = reports.map((r) => r.headline).filter((h): h is string => Boolean(h))
  const problems: string[] = []
  try {
    for (const report of reports) {
      for (const [name, value] of Object.entries(report.outputs)) log.output(name, value)
    }
    const summary = renderSummary(
      title,
      [...intro, headlines.join(' · ')].filter(Boolean),
      reports.flatMap((r) => r.sections),
      warnings,
      reports.flatMap((r) => r.closing)
    )
    await log.summary(summary)
  } catch (error) {
    problems.push(
      `The action's outputs or job summary could not be written (${error instanceof Error ? error.message : String(error)}); every write it made is listed in the log above.`
    )
  }

  const failures = reports.flatMap((r) => r.failures)
  if (failures.length > 0) {
    problems.unshift(`${failures.length} target(s) failed:`, ...failures.map((f) => `- ${f}`))
  }
  if (problems.length > 0) throw new StepFailure(problems)
  log.info(`Done. ${headlines.join(' · ')}`)
}
