/**
 * Pipelines for the unit tests. The declarations are test-support's builders
 * (the one set e2e, the demo and the benchmark share); `pipeline` keeps the
 * version 3 the unit tests' pipelines always had. Then an in-memory
 * CodePipeline region (a PipelineApi) and a clock the tests move by hand.
 */
import { readFileSync } from 'node:fs'
import type {
  Execution,
  PipelineApi,
  PipelineState,
  StackOwner,
  StageRun,
  StartRequest
} from '../src/stores/codepipeline/api.js'
import {
  executionMode,
  versionOf,
  type JsonObject
} from '../src/stores/codepipeline/pipeline-json.js'
import type { Clock } from '../src/stores/codepipeline/types.js'
import { ACCOUNT, pipeline as declaration } from '../test-support/pipelines.js'

export { githubSource } from '../test-support/pipelines.js'

type Modes<T> = Record<'SUPERSEDED' | 'QUEUED' | 'PARALLEL', T>

/**
 * How CodePipeline runs behave: test-support/pipeline-runs.json, the one spec
 * the emulator (test-support/emulator/executions.py) reads too, with the AWS
 * text each rule follows in its `_doc`.
 */
export interface RunsSpec {
  /** The statuses of a run not yet ended. */
  inFlight: string[]
  startPipelineExecution: {
    /** A new run's status. */
    status: string
    /** By execution mode: the statuses of the older runs a new run supersedes. */
    supersedes: Modes<string[]>
    supersededAs: string
  }
  stop: { stoppable: string[]; whileStopping: string; endsAs: string }
  /** The runs UpdatePipeline stops, and how they end. */
  updatePipeline: { stops: string[]; endsAs: string; statusSummary: string }
  /** By execution mode: whether GetPipelineState lists the runs. */
  getPipelineState: { listsRuns: Modes<boolean> }
}

const RUNS = JSON.parse(
  readFileSync(new URL('../test-support/pipeline-runs.json', import.meta.url), 'utf8')
) as RunsSpec

/** The spec's entry for an execution mode (an unknown one is AWS's default, SUPERSEDED). */
function byMode<T>(table: Modes<T>, mode: string): T {
  return mode in table ? table[mode as keyof Modes<T>] : table.SUPERSEDED
}

/** test-support's pipeline(), version 3 unless told otherwise. */
export function pipeline(name: string, sources: JsonObject[], version = 3): JsonObject {
  return declaration(name, sources, version)
}

export function awsError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })
}

export const arnOf = (region: string, name: string, account = ACCOUNT) =>
  `arn:aws:codepipeline:${region}:${account}:${name}`

/** A run, InProgress (the spec's new run) unless told otherwise. */
export function run(
  id: string,
  status = RUNS.startPipelineExecution.status,
  startTime?: Date,
  sourceRevisions: Execution['sourceRevisions'] = []
): Execution {
  return { id, status, startTime, lastUpdateTime: startTime, sourceRevisions, trigger: undefined }
}

type Failing =
  | 'list'
  | 'get'
  | 'update'
  | 'tags'
  | 'owners'
  | 'executions'
  | 'state'
  | 'variables'
  | 'start'
  | 'runVersion'

/**
 * One region of CodePipeline in memory. How its runs behave comes from the
 * spec the emulator follows too (RUNS, test-support/pipeline-runs.json;
 * __tests__/fixtures-runs.test.ts holds this class to it): UpdatePipeline
 * stops the runs in flight as AWS does (they end Cancelled, stamped with
 * AWS's time of the write; with `stopDelay` they show Stopping for that many
 * ListPipelineExecutions calls first) and answers with a Date header (whole
 * seconds of AWS's clock: `clock` moved by `skewMs`), and
 * StartPipelineExecution starts a run (superseding the older ones still
 * InProgress in a SUPERSEDED pipeline). GetPipelineState shows each run in
 * flight as the latest run of a stage — except in a PARALLEL pipeline, whose
 * side-by-side runs it does not list — unless `states` says what it shows.
 * `calls` records every call in order.
 */
export class FakeRegion implements PipelineApi {
  readonly pipelines = new Map<string, JsonObject>()
  readonly tags = new Map<string, Record<string, string>>()
  /** Each pipeline's runs, newest first. */
  readonly runs = new Map<string, Execution[]>()
  /** The pipeline version each run ran on, by execution id (default: the version when first asked, or when a write stopped it). */
  readonly runVersions = new Map<string, number>()
  /** The variables each run used, by execution id. */
  readonly variables = new Map<string, { name: string; value: string }[]>()
  readonly writes: JsonObject[] = []
  /** Every version written (by UpdatePipeline, or `keep`), as GetPipeline with a version reads it. */
  readonly history = new Map<string, JsonObject>()
  readonly starts: { name: string; request: StartRequest }[] = []
  readonly calls: string[] = []
  failures: Partial<Record<Failing, Error>> = {}
  /** Why StartPipelineExecution refuses a request, if it does. */
  refuseStart: (request: StartRequest) => Error | undefined = () => undefined
  /** The region's stack-owner lookup; default: from the tags, as GetResources answers. */
  owners: (() => Promise<Map<string, StackOwner>>) | undefined
  /** GetPipeline's metadata.pipelineArn. */
  arnFor: (name: string) => string | undefined
  /** Runs just before UpdatePipeline stops the runs in flight (a run starting in between). */
  beforeUpdate: ((name: string) => void) | undefined
  /** Called before each ListPipelineExecutions answers, with how many came before. */
  onList: ((name: string, call: number) => void) | undefined
  /** What GetPipelineState shows of a pipeline, instead of what its runs make it show. */
  readonly states = new Map<string, StageRun[]>()
  /** Called before each GetPipelineState answers (which waits for it). */
  onState: ((name: string) => void | Promise<void>) | undefined
  /** Called before each GetPipeline answers (which waits for it): its latency, say. */
  onGet: ((name: string) => Promise<void>) | undefined
  /** How many ListPipelineExecutions calls after a write still show its runs Stopping. */
  stopDelay = 0
  /** How far AWS's clock is ahead of `clock` (the runner's). */
  skewMs = 0
  /** Whether UpdatePipeline's answer has a Date header. */
  dateHeader = true
  versionBump = 1
  attempts = 1
  #lists = new Map<string, number>()
  #stopping = new Map<string, { ids: string[]; remaining: number; at: number }>()
  #started = 0

  constructor(
    readonly region: string,
    /** The runner's clock; AWS's is `skewMs` ahead of it. */
    readonly clock: { now(): number } = { now: () => Date.now() }
  ) {
    this.arnFor = (name) => arnOf(region, name)
  }

  /** AWS's clock, now. */
  awsNow(): number {
    return this.clock.now() + this.skewMs
  }

  /** Sets the pipeline as another actor's write would, keeping that version in the history. */
  keep(p: JsonObject): void {
    const name = String(p['name'])
    this.pipelines.set(name, p)
    this.history.set(`${name} ${String(p['version'])}`, p)
  }

  add(p: JsonObject, tags: Record<string, string> = {}, runs: Execution[] = []): this {
    const name = String(p['name'])
    this.pipelines.set(name, p)
    this.tags.set(name, tags)
    this.runs.set(name, runs)
    return this
  }

  #fail(what: Failing): void {
    const error = this.failures[what]
    if (error) throw error
  }

  async listPipelineNames() {
    this.calls.push('list')
    this.#fail('list')
    return [...this.pipelines.keys()]
  }

  async getPipeline(name: string, version?: number) {
    this.calls.push(version === undefined ? `get ${name}` : `get ${name} v${version}`)
    await this.onGet?.(name)
    this.#fail('get')
    const p =
      version === undefined ? this.pipelines.get(name) : this.history.get(`${name} ${version}`)
    if (!p) throw awsError('PipelineNotFoundException', `Account does not have a pipeline ${name}`)
    return { pipeline: structuredClone(p), arn: this.arnFor(name) }
  }

  async updatePipeline(p: JsonObject) {
    const name = String(p['name'])
    this.calls.push(`update ${name}`)
    this.#fail('update')
    this.writes.push(p)
    this.beforeUpdate?.(name)
    const current = versionOf(this.pipelines.get(name) ?? {})
    for (const r of this.runs.get(name) ?? []) {
      if (!this.runVersions.has(r.id) && current !== undefined) this.runVersions.set(r.id, current)
    }
    const stopped = (this.runs.get(name) ?? []).filter((r) =>
      RUNS.updatePipeline.stops.includes(r.status)
    )
    const at = this.awsNow()
    if (this.stopDelay > 0) {
      for (const r of stopped) r.status = RUNS.stop.whileStopping
      this.#stopping.set(name, { ids: stopped.map((r) => r.id), remaining: this.stopDelay, at })
    } else {
      for (const r of stopped) cancel(r, at)
    }
    const before = p['version']
    const version = typeof before === 'number' ? before + this.versionBump : 1
    this.pipelines.set(name, { ...p, version })
    this.history.set(`${name} ${version}`, { ...p, version })
    // The Date header has whole seconds.
    const answeredAt = this.dateHeader ? new Date(Math.floor(at / 1000) * 1000) : undefined
    return { version, attempts: this.attempts, answeredAt }
  }

  async listTags(arn: string) {
    this.calls.push(`tags ${arn}`)
    this.#fail('tags')
    return this.tags.get(arn.split(':').pop() ?? '') ?? {}
  }

  async stackOwners() {
    this.calls.push('owners')
    if (this.owners) return this.owners()
    this.#fail('owners')
    const owners = new Map<string, StackOwner>()
    for (const [name, tags] of this.tags) {
      const stack = tags['aws:cloudformation:stack-name']
      const arn = this.arnFor(name)
      if (stack && arn) {
        owners.set(arn, { stack, logicalId: tags['aws:cloudformation:logical-id'] })
      }
    }
    return owners
  }

  async listExecutions(name: string) {
    this.calls.push(`executions ${name}`)
    const call = this.#lists.get(name) ?? 0
    this.#lists.set(name, call + 1)
    this.onList?.(name, call)
    this.#fail('executions')
    const stopping = this.#stopping.get(name)
    if (stopping) {
      if (stopping.remaining > 0) stopping.remaining--
      else {
        for (const r of this.runs.get(name) ?? []) {
          if (stopping.ids.includes(r.id)) cancel(r, stopping.at)
        }
        this.#stopping.delete(name)
      }
    }
    return structuredClone(this.runs.get(name) ?? [])
  }

  async pipelineState(name: string): Promise<PipelineState> {
    this.calls.push(`state ${name}`)
    await this.onState?.(name)
    this.#fail('state')
    const p = this.pipelines.get(name)
    const version = p ? versionOf(p) : undefined
    const shown = this.states.get(name)
    if (shown) return { version, stages: structuredClone(shown) }
    const runs = this.runs.get(name) ?? []
    // GetPipelineState does not list a PARALLEL pipeline's side-by-side runs.
    if (p && !byMode(RUNS.getPipelineState.listsRuns, executionMode(p))) {
      return { version, stages: [] }
    }
    const busy = runs.filter((r) => RUNS.inFlight.includes(r.status))
    const latest = busy.length > 0 ? busy : runs.slice(0, 1)
    return {
      version,
      stages: latest.map((r, i) => ({
        stage: `Stage${i + 1}`,
        latest: { executionId: r.id, status: r.status },
        inbound: []
      }))
    }
  }

  async runVersion(name: string, id: string) {
    this.calls.push(`runVersion ${name} ${id}`)
    this.#fail('runVersion')
    const p = this.pipelines.get(name)
    if (!this.runVersions.has(id) && p && versionOf(p) !== undefined) {
      this.runVersions.set(id, versionOf(p) as number)
    }
    return this.runVersions.get(id)
  }

  async executionVariables(name: string, id: string) {
    this.calls.push(`variables ${name} ${id}`)
    this.#fail('variables')
    return this.variables.get(id) ?? []
  }

  async startExecution(name: string, request: StartRequest) {
    this.calls.push(`start ${name}`)
    this.#fail('start')
    const refused = this.refuseStart(request)
    if (refused) throw refused
    this.starts.push({ name, request })
    const id = `restart-${++this.#started}`
    const runs = this.runs.get(name)
    const p = this.pipelines.get(name)
    const superseded = p ? byMode(RUNS.startPipelineExecution.supersedes, executionMode(p)) : []
    for (const r of runs ?? []) {
      if (superseded.includes(r.status)) {
        r.status = RUNS.startPipelineExecution.supersededAs
        r.lastUpdateTime = new Date(this.awsNow())
      }
    }
    runs?.unshift(run(id))
    return id
  }
}

/** How AWS ends a run an UpdatePipeline stopped: Cancelled, at the write's time. */
function cancel(r: Execution, at: number): void {
  r.status = RUNS.updatePipeline.endsAs
  r.lastUpdateTime = new Date(at)
}

/** A clock that only moves when the code under test sleeps (or a test moves it). */
export class FakeClock implements Clock {
  readonly sleeps: number[] = []
  /** Runs during each sleep, after the time moved. */
  onSleep: ((ms: number) => Promise<void> | void) | undefined

  constructor(public time = Date.UTC(2025, 0, 1, 12)) {}

  now(): number {
    return this.time
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    this.time += ms
    await this.onSleep?.(ms)
  }

  /** A Date `seconds` before now. */
  ago(seconds: number): Date {
    return new Date(this.time - seconds * 1000)
  }
}
