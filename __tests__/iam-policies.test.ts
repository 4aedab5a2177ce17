/**
 * The IAM policies the README links (docs/iam/) against the AWS operations
 * src/ really calls: each operation is found in the source — every
 * `…Command` and `paginate…` a file uses, attributed to the AWS SDK client
 * package the file imports that has that command — so a new call that the
 * policy lacks fails here, not in a user's account.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The IAM service prefix of each AWS SDK client package. */
const PREFIX: Record<string, string> = {
  cloudformation: 'cloudformation',
  codebuild: 'codebuild',
  codepipeline: 'codepipeline',
  'codestar-connections': 'codestar-connections',
  iam: 'iam',
  'resource-groups-tagging-api': 'tag',
  'secrets-manager': 'secretsmanager',
  ssm: 'ssm'
}

const WRITES = /^(Update|Put|Import|Delete|Start|Stop|Register|Deregister|Pass|Create|Tag|Untag)/

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(file)
    return entry.name.endsWith('.ts') ? [file] : []
  })
}

const hasCommand = (client: string, operation: string) =>
  existsSync(
    path.join(
      root,
      'node_modules/@aws-sdk',
      `client-${client}`,
      'dist-types/commands',
      `${operation}Command.d.ts`
    )
  )

/** `service:Operation` for each call in a source text; throws on a call no imported client has. */
function operationsIn(text: string, file = 'source'): string[] {
  // Comments name operations too ("UpdatePipelineCommand" → …): only code counts.
  const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const clients = [...source.matchAll(/['"]@aws-sdk\/client-([a-z-]+)['"]/g)].map((m) => m[1]!)
  const names = new Set(
    [...source.matchAll(/\b(?:paginate([A-Z]\w+)|([A-Z]\w+)Command)\b/g)].map((m) => m[1] ?? m[2]!)
  )
  return [...names].map((operation) => {
    const client = clients.find((name) => hasCommand(name, operation))
    if (client === undefined) {
      throw new Error(`${file}: ${operation} is in none of its clients (${clients.join(', ')})`)
    }
    const prefix = PREFIX[client]
    if (prefix === undefined) throw new Error(`${file}: no IAM prefix known for client-${client}`)
    return `${prefix}:${operation}`
  })
}

interface Policy {
  Version: string
  Statement: Array<{ Effect: string; Action: string | string[] }>
}

const policy = (name: string) =>
  JSON.parse(readFileSync(path.join(root, 'docs/iam', name), 'utf8')) as Policy
const allowed = (p: Policy) =>
  new Set(
    p.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) =>
      Array.isArray(s.Action) ? s.Action : [s.Action]
    )
  )

const called = [
  ...new Set(
    sourceFiles(path.join(root, 'src')).flatMap((file) =>
      operationsIn(readFileSync(file, 'utf8'), path.relative(root, file))
    )
  )
].sort()

describe('docs/iam policies', () => {
  it('finds the operations src/ calls, attributed to their services', () => {
    expect(called).toEqual(
      expect.arrayContaining([
        'codepipeline:UpdatePipeline',
        'codepipeline:ListPipelines',
        'tag:GetResources',
        'secretsmanager:PutSecretValue',
        'ssm:DescribeParameters'
      ])
    )
    expect(
      operationsIn(
        "import('@aws-sdk/client-ssm'); import('@aws-sdk/client-codebuild'); new sdk.PutParameterCommand(x); sdk.paginateListSourceCredentials"
      )
    ).toEqual(['ssm:PutParameter', 'codebuild:ListSourceCredentials'])
    expect(() =>
      operationsIn("import('@aws-sdk/client-ssm'); new sdk.NoSuchThingCommand()")
    ).toThrow(/NoSuchThing is in none of its clients/)
  })

  it('permissions.json allows every operation src/ calls', () => {
    const granted = allowed(policy('permissions.json'))
    expect(called.filter((operation) => !granted.has(operation))).toEqual([])
  })

  it('dry-run-permissions.json allows every read src/ calls, and no write', () => {
    const granted = allowed(policy('dry-run-permissions.json'))
    const reads = called.filter((operation) => !WRITES.test(operation.split(':')[1]!))
    expect(reads.filter((operation) => !granted.has(operation))).toEqual([])
    expect([...granted].filter((operation) => WRITES.test(operation.split(':')[1]!))).toEqual([])
  })

  it('are policies, and the trust policy is pinned to one repository and environment', () => {
    for (const name of ['permissions.json', 'dry-run-permissions.json', 'trust-policy.json']) {
      expect(policy(name).Version).toBe('2012-10-17')
    }
    const trust = readFileSync(path.join(root, 'docs/iam/trust-policy.json'), 'utf8')
    expect(trust).toContain('sts:AssumeRoleWithWebIdentity')
    expect(trust).toContain(
      '"token.actions.githubusercontent.com:sub": "repo:ORG/REPO:environment:NAME"'
    )
  })
})
