/**
 * Runs the BUNDLED action (dist/index.js) as the Actions runner starts it —
 * INPUT_* variables with action.yml's defaults, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, a fresh working directory, TMPDIR and HOME — and
 * scans everything it printed or left behind for the secrets it was given, in
 * every form they could be derived into. Used by the e2e tests, the demo and
 * the benchmark; jest's `expect` is loaded only by runScanned.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import type { EmulatorLike } from './emulator.js'
import { node24Path } from './node24.js'

export { node24Path, tryNode24Path } from './node24.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.join(here, '..')
// ROTATE_E2E_BUNDLE lets a developer test a bundle built elsewhere; CI tests dist/.
export const BUNDLE = process.env['ROTATE_E2E_BUNDLE'] ?? path.join(ROOT, 'dist', 'index.js')

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>
}
/** action.yml's inputs, with their defaults. */
export const ACTION_INPUTS = (
  parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionMetadata
).inputs

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** Every file the run left in its working and temp directories, with contents. */
  files: { path: string; content: string }[]
  /** Spawn → exit, in milliseconds. */
  durationMs: number
  /** performance.now() just before the spawn (to time what happens during the run). */
  startedAt: number
}

export interface RunOptions {
  inputs: Record<string, string>
  /** Added to (or replacing) the runner's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>
  /** 'current' = this machine's node; '24' = what action.yml names (node24). */
  node?: 'current' | '24'
  /** Value of the `github.api_url` expression used in action.yml defaults. */
  githubApiUrl?: string
  /** Also copy the child's stdout and stderr to this process's, as they come (the demo). */
  stream?: boolean
  /** Another bundle than BUNDLE. */
  bundle?: string
  /** Kills the action (SIGKILL) if it runs longer: `code` is then null. For tests of a hang. */
  timeoutMs?: number
}

/** Parses GITHUB_OUTPUT's `name<<DELIMITER ... DELIMITER` records. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '')
    if (!match) continue
    const [, name = '', delimiter] = match
    const value: string[] = []
    while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i] ?? '')
    outputs[name] = value.join('\n')
  }
  return outputs
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry)
    return statSync(full).isDirectory() ? walk(full) : [full]
  })
}

/** The INPUT_* variables the runner sets: action.yml's defaults, then `given`. */
function inputEnv(
  given: Record<string, string>,
  githubApiUrl = 'https://api.github.com'
): Record<string, string> {
  for (const name of Object.keys(given)) {
    if (!(name in ACTION_INPUTS)) throw new Error(`unknown input '${name}' (not in action.yml)`)
  }
  const env: Record<string, string> = {}
  for (const [name, input] of Object.entries(ACTION_INPUTS)) {
    const fallback = (input.default ?? '').replace(/\$\{\{\s*github\.api_url\s*\}\}/, githubApiUrl)
    // The runner sets INPUT_<NAME> with spaces replaced by _ and upper-cased.
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = given[name] ?? fallback
  }
  return env
}

/**
 * Runs the bundled action as the runner does: INPUT_* variables with
 * action.yml's defaults applied, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * a fresh working directory and TMPDIR (whose files the result holds; the
 * directory itself is removed).
 */
export async function runAction(options: RunOptions): Promise<RunResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'rotate-e2e-'))
  try {
    const outputFile = path.join(work, 'github_output')
    const summaryFile = path.join(work, 'step_summary')
    writeFileSync(outputFile, '')
    writeFileSync(summaryFile, '')

    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: work,
      TMPDIR: work,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'example-org/example-repo',
      GITHUB_RUN_ID: '42',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      // Keep the SDK from looking for ~/.aws files or instance metadata.
      AWS_EC2_METADATA_DISABLED: 'true',
      ...inputEnv(options.inputs, options.githubApiUrl)
    }
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name]
      else env[name] = value
    }

    const nodeBinary = options.node === '24' ? node24Path() : process.execPath
    const startedAt = performance.now()
    const child = spawn(nodeBinary, [options.bundle ?? BUNDLE], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (options.stream) process.stdout.write(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if (options.stream) process.stderr.write(chunk)
    })
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    }).finally(() => clearTimeout(timer))
    const durationMs = performance.now() - startedAt

    const files = walk(work).map((file) => ({
      path: path.relative(work, file),
      content: readFileSync(file, 'utf8')
    }))
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      files,
      durationMs,
      startedAt
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

const base64 = (text: string): string => Buffer.from(text).toString('base64')
const unpadded = (text: string): string => text.replace(/=+$/, '')

/**
 * The forms a secret can leak in: as is; base64 and base64url, with and
 * without padding; base64 of the HTTP Basic credentials git and GitHub use
 * (`x-access-token:S`, `S:x-oauth-basic`, `U:S` for each user name);
 * encodeURIComponent; and escaped as inside a JSON string. Labelled, so a
 * leak report says which form it found without showing it.
 */
function labelledForms(
  secret: string,
  usernames: readonly string[] = []
): { form: string; value: string }[] {
  if (secret === '') return []
  const forms: { form: string; value: string }[] = [{ form: 'raw', value: secret }]
  const encoded = (label: string, text: string) => {
    const b64 = base64(text)
    const b64url = Buffer.from(text).toString('base64url')
    forms.push(
      { form: `base64(${label})`, value: b64 },
      { form: `base64(${label}) unpadded`, value: unpadded(b64) },
      { form: `base64url(${label})`, value: b64url },
      {
        form: `base64url(${label}) padded`,
        value: b64url.padEnd(Math.ceil(b64url.length / 4) * 4, '=')
      }
    )
  }
  encoded('secret', secret)
  for (const [label, text] of [
    ['x-access-token:secret', `x-access-token:${secret}`],
    ['secret:x-oauth-basic', `${secret}:x-oauth-basic`],
    ...usernames.map((user, i) => [`username ${i}:secret`, `${user}:${secret}`])
  ] as const) {
    forms.push(
      { form: `base64(${label})`, value: base64(text) },
      { form: `base64(${label}) unpadded`, value: unpadded(base64(text)) }
    )
  }
  forms.push(
    { form: 'encodeURIComponent', value: encodeURIComponent(secret) },
    { form: 'JSON string', value: JSON.stringify(secret).slice(1, -1) }
  )
  // One entry per distinct value (for most tokens several forms coincide).
  const seen = new Set<string>()
  return forms.filter(({ value }) => value !== '' && !seen.has(value) && seen.add(value))
}

/** The distinct derived forms of a secret (see labelledForms). */
export function derivedForms(secret: string, usernames: string[] = []): string[] {
  return labelledForms(secret, usernames).map(({ value }) => value)
}

/**
 * A secret may appear in exactly one place: the `::add-mask::` commands that
 * tell the runner to hide it. Returns every other line of stdout, stderr and
 * the files the run left that holds a derived form of any of `secrets`, as
 * `where:line (form)`, never the secret itself.
 */
export function findLeaks(
  result: Pick<RunResult, 'stdout' | 'stderr' | 'files'>,
  secrets: readonly string[],
  usernames: readonly string[] = []
): string[] {
  const forms = secrets.flatMap((secret, i) =>
    labelledForms(secret, usernames).map(({ form, value }) => ({
      form: secrets.length > 1 ? `secret ${i} ${form}` : form,
      value
    }))
  )
  const leaks: string[] = []
  const check = (where: string, text: string) => {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.startsWith('::add-mask::')) return
      const found = forms.filter(({ value }) => line.includes(value)).map(({ form }) => form)
      if (found.length > 0) leaks.push(`${where}:${i + 1} (${found.join(', ')})`)
    })
  }
  check('stdout', result.stdout)
  check('stderr', result.stderr)
  for (const file of result.files) check(file.path, file.content)
  return leaks
}

export interface ScanOptions extends Partial<RunOptions> {
  /** More secrets that must not show (e.g. the token being replaced). */
  secrets?: string[]
  /** User names a Basic credential `U:S` could be built with. */
  usernames?: string[]
}

/**
 * Runs the action against the emulator (AWS_ENDPOINT_URL) with the token
 * check off unless `inputs` sets verify-token, and fails the test when the
 * token, or one of `options.secrets`, shows in any form anywhere but an
 * `::add-mask::` command. For jest tests (it uses jest's `expect`).
 */
export async function runScanned(
  emulator: EmulatorLike,
  token: string,
  inputs: Record<string, string>,
  options: ScanOptions = {}
): Promise<RunResult> {
  const { secrets = [], usernames = [], ...runOptions } = options
  // Loaded here, not at the top: the demo and the benchmark import this file outside jest.
  const { expect } = await import('@jest/globals')
  const result = await runAction({
    ...runOptions,
    inputs: { token, 'verify-token': 'false', ...inputs },
    env: { AWS_ENDPOINT_URL: emulator.url, ...(runOptions.env ?? {}) }
  })
  expect(findLeaks(result, [token, ...secrets], usernames)).toEqual([])
  // The token given is masked first (an input test may replace it with a bad one).
  if (!('token' in inputs)) expect(result.stdout).toContain(`::add-mask::${token}`)
  return result
}
