/**
 * In-memory AWS regions for the value stores' unit tests (Secrets Manager,
 * Parameter Store, CodeBuild source credentials, CloudFormation), and the
 * inputs as the runner sets them. Type imports only from src/: a test file
 * mocks @actions/core before it imports anything that uses it.
 */
import { readFileSync } from 'node:fs'
import { load } from 'js-yaml'
import type {
  CodeBuildApi,
  ImportRequest,
  Project,
  SourceCredential
} from '../src/stores/codebuild/api.js'
import type { StackInfo, StacksApi, Tags } from '../src/stores/cloudformation/api.js'
import type {
  PutResult,
  SecretInfo,
  SecretsApi,
  SecretValue,
  SecretVersion
} from '../src/stores/secrets-manager/api.js'
import type {
  ParameterMetadata,
  ParametersApi,
  ParameterValue,
  ParameterVersion,
  PutRequest
} from '../src/stores/ssm/api.js'

export const ACCOUNT = '123456789012'

/** Runs every task at once: the stores' Limit, without a bound. */
export const limit = <T>(task: () => Promise<T>): Promise<T> => task()

export function awsError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })
}

/**
 * Every input's default from action.yml, as the runner sets them when a
 * step leaves them out (github-api-url's `${{ github.api_url }}` as
 * GitHub.com's).
 */
export function actionDefaults(): Record<string, string> {
  const action = load(readFileSync(new URL('../action.yml', import.meta.url), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  const defaults = Object.fromEntries(
    Object.entries(action.inputs).map(([name, input]) => [name, String(input.default ?? '')])
  )
  return { ...defaults, 'github-api-url': 'https://api.github.com' }
}

// ---------------------------------------------------------------- Secrets Manager

export interface StoredSecret {
  name: string
  arn: string
  /** Oldest first: the last is AWSCURRENT, the one before AWSPREVIOUS; `stages` are other labels. */
  versions: { id: string; text: string | undefined; stages?: string[] }[]
  primaryRegion?: string
  deleted?: boolean
  rotationEnabled?: boolean
  owningService?: string
}

/** An in-memory Secrets Manager for one region, recording every call. */
export class FakeSecrets implements SecretsApi {
  secrets: StoredSecret[] = []
  calls: string[] = []
  puts: { id: string; text: string }[] = []
  failures: Partial<Record<'describe' | 'get' | 'put' | 'verify' | 'versions', Error>> = {}
  /** Runs before each GetSecretValue, with how many there were before. */
  onGet: ((count: number, secret: StoredSecret) => void) | undefined
  /** Runs after each PutSecretValue lands. */
  afterPut: ((secret: StoredSecret) => void) | undefined
  putVersionId: ((id: string) => string | undefined) | undefined
  readBack: ((text: string) => string) | undefined
  private gets = 0
  private next = 1
  constructor(
    readonly region: string,
    readonly account = ACCOUNT
  ) {}

  arnOf(name: string): string {
    return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-AbCdEf`
  }
  add(name: string, text: string | undefined, extra: Partial<StoredSecret> = {}): this {
    this.secrets.push({
      name,
      arn: this.arnOf(name),
      versions: [{ id: this.version(), text }],
      ...extra
    })
    return this
  }
  version(): string {
    return `${String(this.next++).padStart(8, '0')}-v-${this.region}`
  }
  find(id: string): StoredSecret {
    const secret = this.secrets.find((s) => s.name === id || s.arn === id)
    if (!secret)
      throw awsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret."
      )
    return secret
  }
  current(name: string): string | undefined {
    return this.find(name).versions.at(-1)?.text
  }
  write(name: string, text: string): void {
    this.find(name).versions.push({ id: this.version(), text })
  }
  async describeSecret(id: string): Promise<SecretInfo> {
    this.calls.push(`describe ${id}`)
    if (this.failures.describe) throw this.failures.describe
    const s = this.find(id)
    return {
      arn: s.arn,
      primaryRegion: s.primaryRegion,
      deleted: s.deleted ?? false,
      rotationEnabled: s.rotationEnabled ?? false,
      owningService: s.owningService
    }
  }
  async getSecretString(id: string): Promise<SecretValue> {
    this.calls.push(`get ${id}`)
    const s = this.find(id)
    this.onGet?.(this.gets++, s)
    if (this.failures.get) throw this.failures.get
    if (this.failures.verify && this.puts.length > 0) throw this.failures.verify
    const v = s.versions.at(-1)
    const text = v?.text !== undefined && this.readBack ? this.readBack(v.text) : v?.text
    return { arn: s.arn, versionId: v?.id, text }
  }
  async putSecretString(id: string, text: string): Promise<PutResult> {
    this.calls.push(`put ${id}`)
    if (this.failures.put) throw this.failures.put
    const s = this.find(id)
    const versionId = this.version()
    s.versions.push({ id: versionId, text })
    this.puts.push({ id, text })
    this.afterPut?.(s)
    return { arn: s.arn, versionId: this.putVersionId ? this.putVersionId(versionId) : versionId }
  }
  async listVersions(id: string): Promise<SecretVersion[]> {
    this.calls.push(`versions ${id}`)
    if (this.failures.versions) throw this.failures.versions
    const { versions } = this.find(id)
    return versions.flatMap((v, i) => {
      const stages = [
        ...(i === versions.length - 1 ? ['AWSCURRENT'] : []),
        ...(i === versions.length - 2 ? ['AWSPREVIOUS'] : []),
        ...(v.stages ?? [])
      ]
      return stages.length > 0 ? [{ versionId: v.id, stages }] : []
    })
  }
  async getVersionString(id: string, versionId: string): Promise<SecretValue> {
    this.calls.push(`get ${id} ${versionId}`)
    const s = this.find(id)
    const v = s.versions.find((w) => w.id === versionId)
    if (!v) throw awsError('ResourceNotFoundException', 'no such version')
    return { arn: s.arn, versionId: v.id, text: v.text }
  }
}

// ---------------------------------------------------------------- Parameter Store

export interface StoredParameter {
  name: string
  arn: string | undefined
  type: string
  value: string
  /** undefined: GetParameter answers without a version. */
  version: number | undefined
  keyId?: string
  tier?: string
  allowedPattern?: string
  dataType?: string
  description?: string
  policies: string[]
  /** DescribeParameters does not list it (as for a parameter shared from another account). */
  unlisted?: boolean
  /** The current version's labels. */
  labels?: string[]
  /** Older versions, oldest first, with the labels that stayed on them. */
  history?: ParameterVersion[]
}

/**
 * An in-memory Parameter Store for one region, recording every call.
 * PutParameter behaves as AWS documents for what a request leaves out: no
 * KeyId on a SecureString means the account's default key (alias/aws/ssm),
 * no Tier the default tier; policies stay as they were.
 */
export class FakeParameters implements ParametersApi {
  parameters: StoredParameter[] = []
  calls: string[] = []
  puts: PutRequest[] = []
  failures: Partial<Record<'get' | 'describe' | 'put' | 'verify' | 'history', Error>> = {}
  /** Runs before each GetParameter, with how many there were before. */
  onGet: ((count: number, parameter: StoredParameter) => void) | undefined
  /** Runs after each PutParameter lands. */
  afterPut: ((parameter: StoredParameter) => void) | undefined
  /** What PutParameter answers as the new version. */
  putVersion: ((version: number) => number | undefined) | undefined
  readBack: ((text: string) => string) | undefined
  private gets = 0
  constructor(
    readonly region: string,
    readonly account = ACCOUNT
  ) {}

  arnOf(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.account}:parameter/${name.replace(/^\//, '')}`
  }
  add(name: string, value: string, extra: Partial<StoredParameter> = {}): this {
    this.parameters.push({
      name,
      arn: this.arnOf(name),
      type: 'SecureString',
      value,
      version: 1,
      keyId: 'alias/ci-tokens',
      tier: 'Standard',
      dataType: 'text',
      policies: [],
      ...extra
    })
    return this
  }
  find(id: string): StoredParameter {
    const parameter = this.parameters.find((p) => p.name === id || p.arn === id)
    if (!parameter) throw awsError('ParameterNotFound', '')
    return parameter
  }
  async getParameter(id: string): Promise<ParameterValue> {
    this.calls.push(`get ${id}`)
    const p = this.find(id)
    this.onGet?.(this.gets++, p)
    if (this.failures.get) throw this.failures.get
    if (this.failures.verify && this.puts.length > 0) throw this.failures.verify
    const value = this.readBack ? this.readBack(p.value) : p.value
    return { name: p.name, arn: p.arn, type: p.type, value, version: p.version }
  }
  async describeParameter(name: string): Promise<ParameterMetadata | undefined> {
    this.calls.push(`describe ${name}`)
    if (this.failures.describe) throw this.failures.describe
    const p = this.parameters.find((q) => q.name === name)
    if (!p || p.unlisted) return undefined
    return {
      type: p.type,
      keyId: p.keyId,
      tier: p.tier,
      allowedPattern: p.allowedPattern,
      dataType: p.dataType,
      description: p.description,
      policies: [...p.policies],
      version: p.version
    }
  }
  async putParameter(request: PutRequest): Promise<number | undefined> {
    this.calls.push(`put ${request.name}`)
    if (this.failures.put) throw this.failures.put
    const p = this.find(request.name)
    this.puts.push({ ...request })
    p.history = [
      ...(p.history ?? []),
      { version: p.version, labels: p.labels ?? [], value: p.value }
    ]
    p.labels = []
    p.value = request.value
    p.version = (p.version ?? 0) + 1
    p.type = request.type
    p.keyId = request.type === 'SecureString' ? (request.keyId ?? 'alias/aws/ssm') : request.keyId
    p.tier = request.tier ?? 'Standard'
    p.allowedPattern = request.allowedPattern
    p.dataType = request.dataType ?? 'text'
    p.description = request.description
    this.afterPut?.(p)
    return this.putVersion ? this.putVersion(p.version) : p.version
  }
  async parameterHistory(name: string): Promise<ParameterVersion[]> {
    this.calls.push(`history ${name}`)
    if (this.failures.history) throw this.failures.history
    const p = this.find(name)
    return [...(p.history ?? []), { version: p.version, labels: p.labels ?? [], value: p.value }]
  }
}

// ---------------------------------------------------------------- CodeBuild

export const credentialArn = (region: string, serverType: string) =>
  `arn:aws:codebuild:${region}:${ACCOUNT}:token/${serverType.toLowerCase()}`

/** An in-memory CodeBuild region that behaves like the API; failures are injected per call. */
export class FakeCodeBuild implements CodeBuildApi {
  credentials: SourceCredential[] = []
  imports: ImportRequest[] = []
  deletes: string[] = []
  fail: Partial<Record<'import' | 'list' | 'delete', Error>> = {}
  /** Fails only the list calls after the first (the verification). */
  failVerify: Error | undefined
  /** Import answers but stores nothing (verification must catch it). */
  dropImports = false
  /** Import answers with this ARN instead of the stored one. */
  answerArn: string | undefined
  /** Delete answers but keeps the credential. */
  keepDeleted = false
  lists = 0

  constructor(readonly region: string) {}

  async importCredentials(request: ImportRequest) {
    if (this.fail.import) throw this.fail.import
    this.imports.push(request)
    const arn = credentialArn(this.region, request.serverType)
    if (!this.dropImports) {
      this.credentials = this.credentials.filter((c) => c.serverType !== request.serverType)
      this.credentials.push({ arn, serverType: request.serverType, authType: request.authType })
    }
    return this.answerArn ?? arn
  }

  /** The region's build projects (ListProjects + BatchGetProjects). */
  projects: Project[] = []
  failProjects: Error | undefined

  async listProjects() {
    if (this.failProjects) throw this.failProjects
    return this.projects.map((p) => ({ ...p }))
  }

  async listCredentials() {
    this.lists++
    if (this.fail.list) throw this.fail.list
    if (this.lists > 1 && this.failVerify) throw this.failVerify
    return this.credentials.map((c) => ({ ...c }))
  }

  async deleteCredentials(arn: string) {
    if (this.fail.delete) throw this.fail.delete
    this.deletes.push(arn)
    const before = this.credentials.length
    if (!this.keepDeleted) this.credentials = this.credentials.filter((c) => c.arn !== arn)
    if (before === this.credentials.length && !this.keepDeleted) {
      throw awsError('ResourceNotFoundException', `Could not find source credentials ${arn}`)
    }
    return arn
  }

  seed(serverType: string, authType: string, resource?: string) {
    this.credentials.push({
      arn: credentialArn(this.region, serverType),
      serverType,
      authType,
      ...(resource ? { resource } : {})
    })
  }
}

// ---------------------------------------------------------------- CloudFormation

/**
 * An in-memory CloudFormation region: templates and stack descriptions,
 * read-only, and the tags CloudFormation gave the pipelines it created.
 */
export class FakeStacks implements StacksApi {
  templates = new Map<string, string>()
  stacks = new Map<string, StackInfo>()
  /** Pipeline ARN → its tags. */
  tags = new Map<string, Tags>()
  calls: string[] = []
  failures: Partial<Record<'template' | 'describe' | 'listing' | 'tags', Error>> = {}
  private created = 0

  constructor(readonly region = 'us-east-1') {}

  /** Creates (or re-creates, with a new id) a stack. */
  add(stack: string, template: string | object, info: Partial<StackInfo> = {}): this {
    this.templates.set(
      stack,
      typeof template === 'string' ? template : JSON.stringify(template, null, 2)
    )
    this.created += 1
    const stackId = `arn:aws:cloudformation:${this.region}:${ACCOUNT}:stack/${stack}/0000000${this.created}-0000-4000-8000-000000000000`
    this.stacks.set(stack, { stackId, parameters: [], capabilities: [], ...info })
    return this
  }
  /** Tags a pipeline as its stack's CloudFormation does (the stack as it is now, unless told). */
  tag(arn: string, stack: string, logicalId = 'Pipeline', stackId?: string): this {
    this.tags.set(arn, {
      'aws:cloudformation:stack-name': stack,
      'aws:cloudformation:logical-id': logicalId,
      'aws:cloudformation:stack-id': stackId ?? this.stacks.get(stack)?.stackId ?? 'unknown'
    })
    return this
  }
  private nameOf(stackOrId: string): string {
    for (const [name, info] of this.stacks) if (info.stackId === stackOrId) return name
    return stackOrId
  }
  async getTemplate(stack: string): Promise<string> {
    this.calls.push(`template ${stack}`)
    if (this.failures.template) throw this.failures.template
    const body = this.templates.get(this.nameOf(stack))
    if (body === undefined)
      throw awsError('ValidationError', `Stack with id ${stack} does not exist`)
    return body
  }
  async describeStack(stack: string): Promise<StackInfo> {
    this.calls.push(`describe ${stack}`)
    if (this.failures.describe) throw this.failures.describe
    const info = this.stacks.get(stack)
    if (!info) throw awsError('ValidationError', `Stack with id ${stack} does not exist`)
    return structuredClone(info)
  }
  async stackPipelineTags(stacks: string[]): Promise<Map<string, Tags>> {
    this.calls.push(`listing ${stacks.join(',')}`)
    if (this.failures.listing) throw this.failures.listing
    return new Map(
      [...this.tags].filter(([, t]) => stacks.includes(t['aws:cloudformation:stack-name'] ?? ''))
    )
  }
  async pipelineTags(arn: string): Promise<Tags> {
    this.calls.push(`tags ${arn}`)
    if (this.failures.tags) throw this.failures.tags
    return { ...(this.tags.get(arn) ?? {}) }
  }
}
