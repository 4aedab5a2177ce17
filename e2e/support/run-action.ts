import { expect } from '@jest/globals'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

const here = path.dirname(fileURLToPath(import.meta.url))
export const ROOT = path.join(here, '..', '..')
// ROTATE_E2E_BUNDLE lets a developer test a bundle built elsewhere; CI tests dist/.
export const BUNDLE = process.env['ROTATE_E2E_BUNDLE'] ?? path.join(ROOT, 'dist', 'index.js')

interface ActionMetadata {
  inputs: Record<string, { default?: string; required?: boolean }>
}
const metadata = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionMetadata

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** Every file the run left in its working and temp directories, with contents. */
  files: { path: string; content: string }[]
  durationMs: number
}

export interface RunOptions {
  inputs: Record<string, string>
  env?: Record<string, string>
  /** 'current' = this machine's node; '24' = what action.yml names (node24). */
  node?: 'current' | '24'
  /** Value of the `github.api_url` expression used in action.yml defaults. */
  githubApiUrl?: string
}

let node24: string | undefined
/** The path of a Node 24 binary, fetched once through npx. */
export function node24Path(): string {
  node24 ??= execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore']
  }).trim()
  return node24
}

/** Parses GITHUB_OUTPUT's `name<<DELIMITER ... DELIMITER` records. */
export function parseOutputFile(text: string): Record<string, string> {
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

/**
 * Runs the bundled action as the runner does: INPUT_* variables with
 * action.yml's defaults applied, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * a fresh working directory and TMPDIR (scanned afterwards for leaks).
 */
export async function runAction(options: RunOptions): Promise<RunResult> {
  const work = mkdtempSync(path.join(tmpdir(), 'rotate-e2e-'))
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
    AWS_EC2_METADATA_DISABLED: 'true'
  }
  for (const [name, input] of Object.entries(metadata.inputs)) {
    const given = options.inputs[name]
    const fallback = (input.default ?? '').replace(
      /\$\{\{\s*github\.api_url\s*\}\}/,
      options.githubApiUrl ?? 'https://api.github.com'
    )
    // The runner sets INPUT_<NAME> with spaces replaced by _ and upper-cased.
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = given ?? fallback
  }
  for (const name of Object.keys(options.inputs)) {
    if (!(name in metadata.inputs)) throw new Error(`test passes unknown input '${name}'`)
  }
  Object.assign(env, options.env ?? {})

  const nodeBinary = options.node === '24' ? node24Path() : process.execPath
  const started = Date.now()
  const child = spawn(nodeBinary, [BUNDLE], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  const durationMs = Date.now() - started

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
    durationMs
  }
}

/**
 * The token may appear in exactly one place: the `::add-mask::` command that
 * tells the runner to hide it. Returns every other place it shows up.
 */
export function findLeaks(result: RunResult, token: string): string[] {
  const leaks: string[] = []
  const check = (where: string, text: string) => {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.includes(token) && !line.startsWith('::add-mask::')) leaks.push(`${where}:${i + 1}`)
    })
  }
  check('stdout', result.stdout)
  check('stderr', result.stderr)
  for (const file of result.files) check(file.path, file.content)
  return leaks
}

/**
 * Runs the action against the emulator with the token check off (GitHub
 * can't be reached; e2e/github.e2e.test.ts covers it with a fake), and fails
 * the test when the token shows anywhere but the `::add-mask::` command.
 */
export async function runScanned(
  emulator: { url: string },
  token: string,
  inputs: Record<string, string>,
  options: Partial<RunOptions> = {}
): Promise<RunResult> {
  const result = await runAction({
    ...options,
    inputs: { token, 'verify-token': 'false', ...inputs },
    env: { AWS_ENDPOINT_URL: emulator.url, ...(options.env ?? {}) }
  })
  expect(findLeaks(result, token)).toEqual([])
  // The token given is masked first (an input test may replace it with a bad one).
  if (!('token' in inputs)) expect(result.stdout).toContain(`::add-mask::${token}`)
  return result
}
