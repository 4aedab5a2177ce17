/**
 * `npm run harness`: what `npm run local-action` runs against. Starts the AWS
 * emulator and the fake GitHub on the loopback ports `.env` names
 * (AWS_ENDPOINT_URL, INPUT_GITHUB-API-URL; `.env.example` when there is no
 * `.env`), seeds the demo pipelines, makes the fake GitHub know `.env`'s
 * INPUT_TOKEN, prints what to do, and runs until Ctrl-C.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmulator } from '../test-support/emulator.js'
import { startFakeGitHub } from '../test-support/fake-github.js'
import { demoGitHub, seedDemoPipelines } from './demo-fleet.js'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

/** KEY=VALUE lines of a dotenv file (comments and blank lines skipped, quotes removed). */
function readDotenv(file: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (!match?.[1] || line.trimStart().startsWith('#')) continue
    values[match[1]] = (match[2] ?? '').replace(/^(['"])(.*)\1$/, '$2')
  }
  return values
}

/** The loopback port of a URL `.env` names. */
function loopbackPort(name: string, value: string | undefined): number {
  const url = new URL(value ?? '')
  if (!['127.0.0.1', 'localhost'].includes(url.hostname) || url.port === '') {
    throw new Error(`${name} must be http://127.0.0.1:PORT, got '${value}'`)
  }
  return Number(url.port)
}

const envFile = existsSync(path.join(root, '.env')) ? '.env' : '.env.example'
const env = readDotenv(path.join(root, envFile))
const token = env['INPUT_TOKEN'] ?? ''
if (token === '') throw new Error(`${envFile} sets no INPUT_TOKEN`)
const emulatorPort = loopbackPort('AWS_ENDPOINT_URL', env['AWS_ENDPOINT_URL'])
const githubPort = loopbackPort('INPUT_GITHUB-API-URL', env['INPUT_GITHUB-API-URL'])

const emulator = await startEmulator({ port: emulatorPort })
const github = await startFakeGitHub(demoGitHub(token), { port: githubPort })
const pipelines = await seedDemoPipelines(emulator)

console.log(`Local harness (ports from ${envFile}):
  AWS emulator  ${emulator.url}   pipelines: ${pipelines.map(([r, n]) => `${r}/${n}`).join(', ')}
  fake GitHub   ${github.url}   knows ${envFile}'s INPUT_TOKEN (classic, repo + admin:repo_hook, 60 days)

In another terminal:
  ${envFile === '.env' ? '' : 'cp .env.example .env    # then edit the inputs as you like\n  '}npm run local-action     # runs src/main.ts with .env's inputs against this harness

What the fake GitHub was asked is printed here as it comes. Ctrl-C stops everything.`)

let seen = 0
const timer = setInterval(() => {
  for (const request of github.requests.slice(seen)) {
    console.log(`  GitHub: ${request.method} ${request.path} → ${request.status}`)
  }
  seen = github.requests.length
}, 500)

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  await github.close()
  await emulator.stop()
  console.log('stopped')
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stop().then(() => process.exit(0)))
}
