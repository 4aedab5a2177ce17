/** How the stacks followed are shown: the summary table and the log lines. */
import { statusCell, type RegionLine, type Section } from '../../core/report.js'
import type { StackFinding } from './types.js'

function sourceText(f: StackFinding): string {
  const s = f.source
  if (!s) return '–'
  switch (s.kind) {
    case 'secret':
      return `{{resolve:secretsmanager:${s.id}${s.key ? `:SecretString:${s.key}` : ''}}}${s.pinned ? ` at ${s.pinned}` : ''}`
    case 'ssm':
      return `{{resolve:${s.secure ? 'ssm-secure' : 'ssm'}:${s.name}}}${s.pinned ? ` at ${s.pinned}` : ''}`
    case 'parameter':
      return `parameter ${s.name}`
    case 'literal':
      return 'the token itself (literal)'
    case 'parts':
      return `a token built from ${s.references} dynamic reference(s)${s.text ? ' and text' : ''}`
    case 'unknown':
      return s.what
  }
}

function statusText(f: StackFinding): string {
  if (f.problem) return statusCell('warned', f.problem)
  const row = f.followed?.row()
  if (!f.followed || !row) return statusCell('planned')
  const detail = `${f.followed.what}${row.error ? `: ${row.error}` : ''}`
  return statusCell(row.status, detail)
}

export function stackSection(findings: StackFinding[]): Section {
  return {
    title: 'CloudFormation stacks',
    headers: ['Region', 'Pipeline', 'Stack (resource)', 'GitHub action', 'Token source', 'Status'],
    rows: findings.map((f) => [
      f.region,
      f.pipeline,
      f.logicalId ? `${f.stack} (${f.logicalId})` : f.stack,
      f.action ?? '–',
      sourceText(f),
      statusText(f)
    ])
  }
}

export function stackLines(findings: StackFinding[]): RegionLine[] {
  return findings.map((f) => ({
    region: f.region,
    line: `stack    ${f.stack} pipeline ${f.pipeline}${f.action ? ` [${f.action}]` : ''}: ${sourceText(f)} — ${f.problem ?? (f.followed ? `followed: ${f.followed.what}` : 'nothing to follow')}`
  }))
}
