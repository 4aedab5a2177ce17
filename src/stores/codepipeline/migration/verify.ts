/**
 * After the write, a pure comparison of the pipeline read back with the one
 * sent: the version up by exactly one, each migrated action as planned, and
 * nothing else changed. Values are compared, not bytes: AWS may store and
 * return members in another order, which changes nothing.
 */
import { clip } from '../../../core/clip.js'
import { isObject, versionOf, type Json, type JsonObject } from '../pipeline-json.js'
import type { MigratedAction } from './rewrite.js'

/** At most this many differences are named; the rest are counted. */
const MAX_SHOWN = 8

/** One place where two JSON values differ, named for a person ("Build/Build: configuration.ProjectName"). */
interface Difference {
  where: string
  /** The migrated action's `Stage/Action`, when the difference is inside one. */
  action?: string
}

const show = (value: Json | undefined) =>
  value === undefined ? 'absent' : clip(JSON.stringify(value), 80)

function label(path: string[], sent: JsonObject): { where: string; action?: string } {
  // stages[i].actions[j]… → "Stage/Action: …"
  if (path[0] === 'stages' && path[1] !== undefined) {
    const stages = Array.isArray(sent['stages']) ? sent['stages'] : []
    const stage = stages[Number(path[1])]
    const stageName = isObject(stage) && typeof stage['name'] === 'string' ? stage['name'] : path[1]
    if (path[2] === 'actions' && path[3] !== undefined) {
      const actions = isObject(stage) && Array.isArray(stage['actions']) ? stage['actions'] : []
      const action = actions[Number(path[3])]
      const name = isObject(action) && typeof action['name'] === 'string' ? action['name'] : path[3]
      const rest = path.slice(4).join('.')
      return {
        where: `${stageName}/${name}${rest ? `: ${rest}` : ''}`,
        action: `${stageName}/${name}`
      }
    }
    const rest = path.slice(2).join('.')
    return { where: `stage ${stageName}${rest ? `: ${rest}` : ''}` }
  }
  return { where: path.join('.') }
}

function diff(
  sent: Json | undefined,
  read: Json | undefined,
  path: string[],
  out: { path: string[]; sent: Json | undefined; read: Json | undefined }[]
): void {
  if (isObject(sent) && isObject(read)) {
    for (const key of new Set([...Object.keys(sent), ...Object.keys(read)])) {
      diff(sent[key], read[key], [...path, key], out)
    }
    return
  }
  if (Array.isArray(sent) && Array.isArray(read) && sent.length === read.length) {
    sent.forEach((value, i) => diff(value, read[i], [...path, String(i)], out))
    return
  }
  if (JSON.stringify(sent) !== JSON.stringify(read)) out.push({ path, sent, read })
}

export interface MigrationCheck {
  /** The version read back. */
  versionAfter: number | undefined
  /** Empty when the pipeline read back is the one planned. */
  problems: string[]
}

/**
 * `sent` is the pipeline given to UpdatePipeline (GetPipeline's, version
 * included, with the actions rewritten); `read` is GetPipeline's answer after
 * it. `attempts` is how many HTTP attempts the SDK made: an attempt that had
 * landed before a retry raises the version once more.
 */
export function verifyMigration(
  sent: JsonObject,
  read: JsonObject,
  actions: readonly MigratedAction[],
  attempts = 1
): MigrationCheck {
  const problems: string[] = []
  const before = versionOf(sent)
  const after = versionOf(read)
  if (before === undefined || after === undefined) {
    problems.push(
      `the version could not be compared (before: ${before ?? 'unknown'}, after: ${after ?? 'unknown'})`
    )
  } else if (after - before !== 1 && !(after - before > 1 && after - before <= attempts)) {
    problems.push(
      `the version went from ${before} to ${after} instead of ${before + 1}: another change to this pipeline landed at the same time`
    )
  }
  const found: { path: string[]; sent: Json | undefined; read: Json | undefined }[] = []
  const { version: _sentVersion, ...sentRest } = sent
  const { version: _readVersion, ...readRest } = read
  diff(sentRest, readRest, [], found)
  const migrated = new Set(actions.map((a) => `${a.stage}/${a.action}`))
  const differences: Difference[] = found.map((d) => label(d.path, sent))
  const named = found.map(
    (d, i) => `${differences[i]?.where}: ${show(d.read)} instead of ${show(d.sent)}`
  )
  const inMigrated = named.filter((_, i) => migrated.has(differences[i]?.action ?? ''))
  const elsewhere = named.filter((_, i) => !migrated.has(differences[i]?.action ?? ''))
  const list = (items: string[]) =>
    items.slice(0, MAX_SHOWN).join('; ') +
    (items.length > MAX_SHOWN ? `; and ${items.length - MAX_SHOWN} more` : '')
  if (inMigrated.length > 0) {
    problems.push(`the new source action is not as planned: ${list(inMigrated)}`)
  }
  if (elsewhere.length > 0) {
    problems.push(`other settings changed: ${list(elsewhere)}`)
  }
  return { versionAfter: after, problems }
}
