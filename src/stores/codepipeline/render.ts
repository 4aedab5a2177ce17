/** How pipeline results are shown: the summary table and the log lines. */
import { clip } from '../../core/clip.js'
import { statusCell, type RegionLine, type Section } from '../../core/report.js'
import type { PipelineResult, RunsReport } from './types.js'

const short = (id: string | undefined) => (id ? clip(id, 8) : '?')

function restartsText(runs: RunsReport, shorten: (id: string | undefined) => string): string {
  const parts = (runs.restarts ?? []).map((r) => {
    const stopped = r.stopped.map(shorten).join(', ')
    if (r.error) return `stopped ${stopped}, could not start it again`
    const latest = r.revisions === 'latest' ? ' (latest revisions)' : ''
    return `stopped ${stopped} and started ${shorten(r.started)}${latest}`
  })
  return parts.length > 0
    ? parts.join('; ')
    : `written while ${runs.executions.map(shorten).join(', ')} ran`
}

/** What happened about runs in flight, in a few words. */
export function runsText(
  runs: RunsReport | undefined,
  shorten: (id: string | undefined) => string = (id) => id ?? '?'
): string {
  if (!runs) return '–'
  const ids = runs.executions.map(shorten).join(', ')
  switch (runs.outcome) {
    case 'idle':
      return 'none in flight'
    case 'busy':
      return `${ids} in flight`
    case 'waited':
      return `waited ${runs.waitedSeconds ?? 0} s for ${ids}`
    case 'skipped':
      return `skipped: ${ids} was running`
    case 'timed-out':
      return `${ids} still running after ${runs.waitedSeconds ?? 0} s`
    case 'restarted':
      return restartsText(runs, shorten)
  }
}

function versionCell(result: PipelineResult): string {
  const before = result.versionBefore ?? '–'
  if (result.status === 'planned')
    return `${before} → ${typeof before === 'number' ? before + 1 : '–'}`
  if (result.versionAfter === undefined) return String(before)
  return `${before} → ${result.versionAfter}`
}

export function pipelineSection(results: PipelineResult[]): Section {
  return {
    title: 'CodePipeline',
    headers: [
      'Region',
      'Pipeline',
      'GitHub actions patched',
      'Version',
      'Runs in flight',
      'Status'
    ],
    rows: results.map((r) => [
      r.region,
      r.stack ? `${r.pipeline} (stack ${r.stack})` : r.pipeline,
      r.githubActions.join(', ') || '–',
      versionCell(r),
      runsText(r.runs, short),
      statusCell(r.status, r.error ?? r.note)
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
    const runs = r.runs && r.runs.outcome !== 'idle' ? ` (runs: ${runsText(r.runs)})` : ''
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} pipeline ${r.pipeline}${actions}${version}${runs}${detail ? ` — ${detail}` : ''}`
    }
  })
}
