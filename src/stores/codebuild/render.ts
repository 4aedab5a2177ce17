/** How CodeBuild results are shown: the summary table and the log lines. */
import { statusCell, type RegionLine, type Section } from '../../core/report.js'
import type { ProjectUse } from './projects.js'
import type { CodeBuildResult } from './types.js'

export function codebuildSection(results: CodeBuildResult[]): Section {
  return {
    title: 'CodeBuild source credentials',
    headers: ['Region', 'Server type', 'Auth type', 'Credential', 'Status'],
    rows: results.map((r) => [
      r.region,
      r.serverType,
      r.authType,
      r.arn ?? '–',
      statusCell(r.status, r.error ?? r.note)
    ])
  }
}

export function codebuildLines(results: CodeBuildResult[]): RegionLine[] {
  return results.map((r) => {
    const arn = r.arn ? ` ${r.arn}` : ''
    const detail = r.error ?? r.note
    return {
      region: r.region,
      line: `${r.status.padEnd(8)} codebuild ${r.serverType} ${r.authType}${arn}${detail ? ` — ${detail}` : ''}`
    }
  })
}

/** Which projects the credential serves, and which use a credential of their own. */
export function projectsSection(uses: ProjectUse[]): Section {
  const credential = (u: ProjectUse) =>
    u.credential === 'account'
      ? 'this credential'
      : u.credential === 'own'
        ? `own credential — ${u.note ?? ''}`
        : `⚠️ ${u.note ?? 'not checked'}`
  return {
    title: 'CodeBuild projects',
    headers: ['Region', 'Project', 'Source', 'Location', 'Credential'],
    rows: uses.map((u) => [u.region, u.project, u.source, u.location, credential(u)])
  }
}
