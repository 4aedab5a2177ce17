/**
 * Reading a stack's template (pure): the pipeline's resource, its GitHub
 * actions' OAuthToken, and where that value comes from — a dynamic
 * reference to Secrets Manager or Parameter Store (which the rotation
 * follows), a template parameter (which only a stack update changes), or the
 * token written into the template itself.
 */
import { once } from '../../core/once.js'

type Template = Record<string, unknown>

/**
 * CloudFormation's YAML short forms (!Ref, !Sub, !GetAtt …) as the JSON
 * they stand for ("Intrinsic function reference", CloudFormation user guide).
 */
const SHORT_FORMS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'ToJsonString',
  'Length'
]

function longForm(name: string, value: unknown): Record<string, unknown> {
  if (name === 'Ref' || name === 'Condition') return { [name]: value }
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.')
    return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] }
  }
  return { [`Fn::${name}`]: value }
}

// js-yaml is loaded when a stack is followed, not at every start.
const yamlLoader = once(async () => {
  const { DEFAULT_SCHEMA, Type, load } = await import('js-yaml')
  const schema = DEFAULT_SCHEMA.extend(
    ['Ref', 'Condition', ...SHORT_FORMS].flatMap((name) =>
      (['scalar', 'sequence', 'mapping'] as const).map(
        (kind) =>
          new Type(`!${name}`, { kind, construct: (value: unknown) => longForm(name, value) })
      )
    )
  )
  return (body: string): unknown => load(body, { schema, json: true })
})

/** A template body as GetTemplate returns it: JSON, or YAML with short forms. */
export async function parseTemplate(body: string): Promise<Template> {
  // JSON is YAML too, but JSON.parse reads the common case (CDK, SAM's processed
  // stage) faster; a flow-style YAML template that starts with '{' falls through.
  let parsed: unknown
  try {
    parsed = body.trimStart().startsWith('{') ? JSON.parse(body) : undefined
  } catch {
    parsed = undefined
  }
  parsed ??= (await yamlLoader())(body)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('the template is not an object')
  }
  return parsed as Template
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function resources(template: Template): [string, Record<string, unknown>][] {
  const all = template['Resources']
  if (!isRecord(all)) return []
  return Object.entries(all).filter((entry): entry is [string, Record<string, unknown>] =>
    isRecord(entry[1])
  )
}

/**
 * The pipeline's resource: the one its aws:cloudformation:logical-id tag
 * names, and no other — never a guess by name or "the only pipeline", which
 * would follow another pipeline's secret. A string for why it is not found.
 */
export function findPipelineResource(
  template: Template,
  logicalId: string | undefined,
  pipelineName: string,
  stack: string
): { logicalId: string; resource: Record<string, unknown> } | string {
  if (logicalId === undefined) {
    return `the pipeline has no aws:cloudformation:logical-id tag, so which resource of stack ${stack}'s template it is cannot be told: its token source was not followed`
  }
  const resource = resources(template).find(([id]) => id === logicalId)?.[1]
  if (resource?.['Type'] !== 'AWS::CodePipeline::Pipeline') {
    return `the template of stack ${stack} has no AWS::CodePipeline::Pipeline resource for it (logical ID ${logicalId}), so its token source was not followed`
  }
  const name = isRecord(resource['Properties']) ? resource['Properties']['Name'] : undefined
  if (typeof name === 'string' && name !== pipelineName) {
    return `the template of stack ${stack} names its ${logicalId} '${name}', not '${pipelineName}', so its token source was not followed`
  }
  return { logicalId, resource }
}

export type TokenSource =
  | { kind: 'secret'; id: string; key: string | undefined; pinned: string | undefined }
  | { kind: 'ssm'; name: string; secure: boolean; pinned: string | undefined }
  | { kind: 'parameter'; name: string }
  | { kind: 'literal' }
  /** A token built from parts: dynamic references joined, or with text around one. */
  | { kind: 'parts'; references: number; text: boolean }
  | { kind: 'unknown'; what: string }

export interface ActionSource {
  /** "Stage/Action" as the template names them. */
  action: string
  source: TokenSource
  /** The template's own text of the token (a literal, or the parts around references): to mask. */
  literals?: string[]
}

/** One dynamic reference, and nothing else: the whole value is what it resolves to. */
const DYNAMIC = /^\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]*)\}\}$/
const ANY_REFERENCE = /\{\{resolve:[^}]*\}\}/g

/**
 * A value that is exactly one dynamic reference ("Get values stored in other
 * services using dynamic references", CloudFormation user guide):
 * {{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}
 * (secret-id a name or a full ARN, every later part optional) or
 * {{resolve:ssm:parameter-name:version}} / {{resolve:ssm-secure:…}}.
 */
export function parseDynamicReference(text: string): TokenSource | undefined {
  const match = DYNAMIC.exec(text)
  if (!match) return undefined
  const [, service, rest = ''] = match
  const parts = rest.split(':')
  const idLength = parts[0] === 'arn' ? (service === 'secretsmanager' ? 7 : 6) : 1
  const id = parts.slice(0, idLength).join(':')
  const after = parts.slice(idLength)
  if (service === 'secretsmanager') {
    const [, key, stage, versionId] = after
    const pinned = versionId
      ? `version id ${versionId}`
      : stage && stage !== 'AWSCURRENT'
        ? `version stage ${stage}`
        : undefined
    return { kind: 'secret', id, key: key || undefined, pinned }
  }
  const [version] = after
  return {
    kind: 'ssm',
    name: id,
    secure: service === 'ssm-secure',
    pinned: version ? `version ${version}` : undefined
  }
}

function sourceOf(value: unknown): { source: TokenSource; literals?: string[] } {
  if (typeof value === 'string') {
    const reference = parseDynamicReference(value)
    if (reference) return { source: reference }
    const references = value.match(ANY_REFERENCE)?.length ?? 0
    if (references === 0) return { source: { kind: 'literal' }, literals: [value] }
    // Writing the whole new token into one part would break it: not followed.
    const around = value.split(ANY_REFERENCE).filter(Boolean)
    return { source: { kind: 'parts', references, text: around.length > 0 }, literals: around }
  }
  if (isRecord(value)) {
    if (typeof value['Ref'] === 'string')
      return { source: { kind: 'parameter', name: value['Ref'] } }
    const sub = value['Fn::Sub']
    if (typeof sub === 'string' && !sub.includes('${')) return sourceOf(sub)
    return { source: { kind: 'unknown', what: Object.keys(value).join(', ') || 'an empty object' } }
  }
  return { source: { kind: 'unknown', what: value === undefined ? 'no OAuthToken' : typeof value } }
}

const isGitHubV1 = (type: unknown) =>
  isRecord(type) &&
  type['Category'] === 'Source' &&
  type['Owner'] === 'ThirdParty' &&
  type['Provider'] === 'GitHub' &&
  String(type['Version']) === '1'

/** Where each GitHub (version 1) source action of the resource takes its OAuthToken. */
export function tokenSources(resource: Record<string, unknown>): ActionSource[] {
  const properties = isRecord(resource['Properties']) ? resource['Properties'] : {}
  const stages = Array.isArray(properties['Stages']) ? properties['Stages'] : []
  const found: ActionSource[] = []
  for (const stage of stages.filter(isRecord)) {
    const actions = Array.isArray(stage['Actions']) ? stage['Actions'] : []
    for (const action of actions.filter(isRecord)) {
      if (!isGitHubV1(action['ActionTypeId'])) continue
      const config = isRecord(action['Configuration']) ? action['Configuration'] : {}
      found.push({
        action: `${String(stage['Name'] ?? '?')}/${String(action['Name'] ?? '?')}`,
        ...sourceOf(config['OAuthToken'])
      })
    }
  }
  return found
}

/** The Type of a template parameter (e.g. AWS::SSM::Parameter::Value<String>). */
export function parameterType(template: Template, name: string): string | undefined {
  const parameters = template['Parameters']
  const parameter = isRecord(parameters) ? parameters[name] : undefined
  return isRecord(parameter) && typeof parameter['Type'] === 'string'
    ? parameter['Type']
    : undefined
}
