/**
 * `npm run bench`: how fast the bundled action rotates a fleet, on the local
 * AWS emulator (moto behind test-support/emulator/launcher.py) with the fake
 * GitHub answering the token check. No AWS account, no GitHub token.
 *
 *   npm run bench -- [--pipelines N] [--runs K] [--seed-sample S]
 *                    [--throttle-pipelines M] [--throttle-rps R] [--throttle-runs T]
 *                    [--cold-runs J] [--latency-ms L] [--no-node24] [--no-throttle]
 * (or BENCH_PIPELINES, BENCH_RUNS, ... in the environment)
 *
 * The emulator answers every AWS call after L ms (--latency-ms, default 25: AWS's round trip
 * from a runner in the region is tens of milliseconds), so the floor and the action pay the
 * same round trips, as against AWS; --latency-ms 0 measures the emulator's CPU alone.
 * Per run, in the same emulator and the same minute, so the ratios compare like with like:
 *   action  `node dist/index.js` as the runner starts it (INPUT_* variables with action.yml's
 *           defaults: only token, pipelines, regions and github-api-url are given, so the
 *           token is checked with the fake GitHub and max-concurrency is the default), spawn →
 *           exit, under Node 24 (action.yml's node24: the target is judged there) and under
 *           this machine's Node;
 *   floor   the same GetPipeline + UpdatePipeline calls from a bare keep-alive HTTP client at
 *           the action's default concurrency: what the emulator itself costs. The emulator
 *           keeps connections open (test-support/emulator/server.py), as AWS does, so both
 *           sides reuse them;
 *   seed    the procedure the action replaces, scripted with the AWS CLI (get-pipeline, edit
 *           the JSON, update-pipeline per pipeline) on a sample, scaled per pipeline.
 * Then: cold start (spawn → the first request reaching the emulator, through a timestamping
 * proxy, or the fake GitHub, whichever comes first) under this machine's Node and Node 24; the
 * size of dist/*.js (index.js and the chunks it loads on demand); and a throttled scenario
 * (M pipelines, every API limited to R requests/s: wall time against M/R).
 * Prints a table and one machine-readable line `BENCH_RESULT {json}`; medians throughout.
 * BENCH_BUNDLE=path measures another bundle than dist/index.js. A run fails loudly when the
 * action calls an API the emulator cannot serve.
 */
import { readdirSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createServiceRole, startEmulator, type Emulator } from '../test-support/emulator.js'
import { configure, calls, resetCalls, storedPipeline } from '../test-support/emulator.js'
import {
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubScenario
} from '../test-support/fake-github.js'
import { nodeVersionOf } from '../test-support/node24.js'
import {
  ACTION_INPUTS,
  BUNDLE as DEFAULT_BUNDLE,
  ROOT,
  node24Path
} from '../test-support/run-action.js'
import {
  REGION,
  THROTTLE_REGION,
  agent,
  checkAllUpdated,
  checkEmulatorServedAll,
  coldStart,
  nameOf,
  newToken,
  pool,
  runActionChecked,
  runActionOnce,
  runFloor,
  runSeedProcedure,
  seed
} from './measure.js'
import {
  printTable,
  summarize,
  writeResult,
  type FleetEntry,
  type ThrottledEntry
} from './report.js'

// ------------------------------------------------------------------ options

const BUNDLE = process.env['BENCH_BUNDLE'] ?? DEFAULT_BUNDLE

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1] as string
  return process.env[`BENCH_${name.replace(/-/g, '_').toUpperCase()}`] ?? fallback
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`)
const int = (name: string, fallback: number): number => {
  const value = Number(option(name, String(fallback)))
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`)
  return value
}

// The action runs with its default max-concurrency, so the floor does too.
if (flag('concurrency') || process.env['BENCH_CONCURRENCY'] !== undefined) {
  throw new Error(
    '--concurrency is gone: the action runs with its default inputs (max-concurrency from action.yml), and the floor at the same concurrency'
  )
}
const C = Number(ACTION_INPUTS['max-concurrency']?.default) || 8
const N = int('pipelines', 200)
const RUNS = Math.max(1, int('runs', 7))
const SEED_SAMPLE = Math.max(1, int('seed-sample', 6))
const COLD_RUNS = Math.max(1, int('cold-runs', RUNS))
const M = int('throttle-pipelines', 100)
const R = int('throttle-rps', 10)
const THROTTLE_RUNS = int('throttle-runs', 3)
const WITH_THROTTLE = !flag('no-throttle') && M > 0 && R > 0 && THROTTLE_RUNS > 0
const WITH_NODE24 = !flag('no-node24')
// AWS answers in tens of milliseconds; the local emulator in tenths of one. Without a
// round trip the floor is the emulator's CPU alone (0.1 s for 200 pipelines), and the
// benchmark would weigh the action's process start, not the calls it makes.
const LATENCY_MS = int('latency-ms', 25)

const log = (message: string) => process.stderr.write(`bench: ${message}\n`)
const seconds = (ms: number | undefined) => ((ms ?? NaN) / 1000).toFixed(2)

interface Bench {
  emulator: Emulator
  github: FakeGitHub
  scenario: FakeGitHubScenario
}

// ------------------------------------------------------------------ scenarios

async function fleetRuns(
  { emulator, github, scenario }: Bench,
  names: string[]
): Promise<FleetEntry[]> {
  const runs: FleetEntry[] = []
  for (let k = 0; k < RUNS; k++) {
    const entry: Partial<FleetEntry> = {}
    // A new token per run, so every run really rewrites every pipeline.
    const contenders = [
      async () => {
        entry.floorMs = await runFloor(emulator.url, names, newToken(scenario), C)
      },
      async () => {
        const label = `action run ${k + 1}`
        const action = await runActionChecked(
          emulator,
          { url: emulator.url, github, token: newToken(scenario), bundle: BUNDLE },
          label
        )
        checkAllUpdated(action, names.length, label)
        entry.actionMs = action.ms
        // Every AWS call the action made (the log was reset before it), per pipeline.
        entry.callsPerPipeline = (await calls(emulator)).length / names.length
      }
    ]
    if (WITH_NODE24) {
      // action.yml runs the action on node24: what the runner really starts.
      contenders.push(async () => {
        const label = `node 24 action run ${k + 1}`
        const action = await runActionChecked(
          emulator,
          { url: emulator.url, github, token: newToken(scenario), node: '24', bundle: BUNDLE },
          label
        )
        checkAllUpdated(action, names.length, label)
        entry.action24Ms = action.ms
      })
    }
    // Rotate the order so no contender always runs on a warmer (or busier) emulator.
    for (let i = 0; i < contenders.length; i++) await contenders[(i + k) % contenders.length]?.()
    const floorMs = entry.floorMs ?? NaN
    const actionMs = entry.actionMs ?? NaN
    const seedPerPipelineMs = await runSeedProcedure(
      emulator.url,
      names.slice(0, SEED_SAMPLE),
      newToken(scenario)
    )
    const done: FleetEntry = {
      floorMs,
      actionMs,
      callsPerPipeline: entry.callsPerPipeline ?? NaN,
      ...(WITH_NODE24 && { action24Ms: entry.action24Ms }),
      ratio: actionMs / floorMs,
      ...(WITH_NODE24 && { ratio24: (entry.action24Ms ?? NaN) / floorMs }),
      seedPerPipelineMs,
      speedup: (seedPerPipelineMs * names.length) / (entry.action24Ms ?? actionMs)
    }
    runs.push(done)
    log(
      `run ${k + 1}/${RUNS}: floor ${seconds(done.floorMs)} s; action ${seconds(done.actionMs)} s (ratio ${done.ratio.toFixed(2)}, ${done.callsPerPipeline.toFixed(2)} AWS calls per pipeline)` +
        (WITH_NODE24
          ? `, on node 24 ${seconds(done.action24Ms)} s (ratio ${(done.ratio24 ?? NaN).toFixed(2)})`
          : '') +
        `; AWS CLI ${seconds(done.seedPerPipelineMs)} s/pipeline, speedup ${done.speedup.toFixed(0)}x`
    )
    // The fake GitHub keeps every request; the runs don't need them.
    github.requests.length = 0
  }
  return runs
}

/**
 * Throttling politeness: every API limited to R requests/s, M pipelines.
 * Each run twice: with the token check off (verify-token: false, as this
 * scenario always ran), which measures how the action paces AWS calls
 * (÷ N/R); and with the default inputs (÷ 2N/R, issue 17). GitHub is not
 * throttled.
 */
async function throttledRuns(
  { emulator, github, scenario }: Bench,
  names: string[]
): Promise<ThrottledEntry[]> {
  const runs: ThrottledEntry[] = []
  for (let n = 0; n < 2 * THROTTLE_RUNS; n++) {
    const k = Math.floor(n / 2)
    const checked = n % 2 === 1
    const token = newToken(scenario)
    const label = `throttled run ${k + 1}${checked ? ' (default inputs)' : ''}`
    await resetCalls(emulator)
    // Setting the throttle refills every bucket: each run starts with the same burst.
    await configure(emulator, { throttle: { rps: R } })
    let result
    try {
      result = await runActionOnce({
        url: emulator.url,
        github,
        token,
        regions: THROTTLE_REGION,
        bundle: BUNDLE,
        inputs: checked ? {} : { 'verify-token': 'false' }
      })
    } finally {
      await configure(emulator, { throttle: null })
    }
    checkAllUpdated(result, names.length, label)
    await checkEmulatorServedAll(emulator, label)
    const log_ = await calls(emulator, { region: THROTTLE_REGION })
    const throttled = log_.filter((c) => c.fault === 'throttle').length
    let stored = 0
    await pool(names, 8, async (name) => {
      const { pipeline } = await storedPipeline(emulator, THROTTLE_REGION, name)
      if (JSON.stringify(pipeline).includes(`"OAuthToken":"${token}"`)) stored++
    })
    if (stored !== names.length) {
      throw new Error(`${label}: ${stored}/${names.length} hold the new token`)
    }
    const idealMs = (names.length / R) * 1000
    const entry: ThrottledEntry = {
      checked,
      wallMs: result.ms,
      idealMs,
      ratio: result.ms / idealMs,
      updated: stored,
      throttledResponses: throttled,
      requests: log_.length,
      loggedThrottling: /AWS is throttling/.test(result.stdout)
    }
    runs.push(entry)
    log(
      `throttled run ${k + 1}/${THROTTLE_RUNS}${checked ? ' (default inputs)' : ''}: ${seconds(entry.wallMs)} s for ${names.length} pipelines at ${R} rps ` +
        `(N/R ${(entry.idealMs / 1000).toFixed(1)} s, ratio ${entry.ratio.toFixed(2)}), ${throttled} throttled responses of ${log_.length}, ` +
        `throttling logged: ${entry.loggedThrottling}`
    )
  }
  return runs
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  // The entry file and the chunks it loads on demand: everything a run may parse.
  // statSync fails early without a bundle: run `npm run bundle`.
  const dir = path.dirname(BUNDLE)
  const distBytes = [
    path.basename(BUNDLE),
    ...readdirSync(dir).filter((f) => /^\d+\.index\.js$/.test(f))
  ]
    .map((f) => statSync(path.join(dir, f)).size)
    .reduce((a, b) => a + b, 0)
  log(
    `${N} pipelines, ${RUNS} runs, concurrency ${C}, AWS latency ${LATENCY_MS} ms, node ${process.version}, ${os.cpus().length} CPUs`
  )
  const scenario: FakeGitHubScenario = { tokens: {} }
  const emulator = await startEmulator({ args: ['--latency-ms', String(LATENCY_MS)] })
  const github = await startFakeGitHub(scenario)
  const bench: Bench = { emulator, github, scenario }
  try {
    const roleArn = await createServiceRole(emulator, 'bench-pipeline-role')
    const names = Array.from({ length: N }, (_, i) => nameOf('bench', i))
    const throttleNames = WITH_THROTTLE
      ? Array.from({ length: M }, (_, i) => nameOf('throttled', i))
      : []
    await seed(emulator, REGION, names, roleArn)
    if (WITH_THROTTLE) await seed(emulator, THROTTLE_REGION, throttleNames, roleArn)
    log(
      `seeded ${N} pipelines in ${REGION}${WITH_THROTTLE ? ` and ${M} in ${THROTTLE_REGION}` : ''}`
    )

    // A warm-up run of each, not counted: Python and the page cache settle. Checked like the
    // others, so an API the emulator lacks stops the bench here rather than skewing it.
    const warmUp = async (node: 'current' | '24') => {
      const label = `warm-up run (${node === '24' ? 'node 24' : process.version})`
      const run = await runActionChecked(
        emulator,
        { url: emulator.url, github, token: newToken(scenario), node, bundle: BUNDLE },
        label
      )
      checkAllUpdated(run, names.length, label)
    }
    await warmUp('current')
    if (WITH_NODE24) await warmUp('24')
    await runFloor(emulator.url, names, 'bench-warm-up', C)

    const fleet = await fleetRuns(bench, names)

    const cold = { current: [] as number[], node24: [] as number[] }
    const first = names[0] ?? nameOf('bench', 0)
    for (let k = 0; k < COLD_RUNS; k++) {
      cold.current.push(await coldStart(emulator, github, scenario, 'current', first, BUNDLE))
      if (WITH_NODE24)
        cold.node24.push(await coldStart(emulator, github, scenario, '24', first, BUNDLE))
    }
    log(
      `cold start ${process.version}: ${cold.current.map((v) => v.toFixed(0)).join(', ')} ms` +
        (WITH_NODE24 ? `; node 24: ${cold.node24.map((v) => v.toFixed(0)).join(', ')} ms` : '')
    )

    const throttled = WITH_THROTTLE ? await throttledRuns(bench, throttleNames) : []

    const result = summarize(
      {
        pipelines: N,
        runs: RUNS,
        concurrency: C,
        latencyMs: LATENCY_MS,
        seedSample: SEED_SAMPLE,
        distBytes,
        ...(WITH_NODE24 && { node24Version: nodeVersionOf(node24Path()) }),
        ...(WITH_THROTTLE && { throttle: { pipelines: M, rps: R, runs: THROTTLE_RUNS } })
      },
      { fleet, cold, throttled }
    )
    printTable(result)
    writeResult(result, ROOT)
  } finally {
    agent.destroy()
    await github.close()
    await emulator.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
