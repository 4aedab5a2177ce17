import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const LAUNCHER = path.join(here, '..', 'emulator', 'launcher.py')
export const ACCOUNT = '123456789012'

export interface Emulator {
  url: string
  process: ChildProcess
  stop(): Promise<void>
}

/** Starts moto behind our launcher (which corrects moto where it differs from AWS). */
export async function startEmulator(args: string[] = []): Promise<Emulator> {
  const child = spawn('python3', [LAUNCHER, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start:\n${stderr}`)), 30000)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const match = /^EMULATOR_READY (\S+)/.exec(line)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`emulator exited with ${code}:\n${stderr}`))
    })
  })
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
  }
}

function authorization(region: string, service: string): string {
  // moto reads the region and the access key from the credential scope; it does not check signatures.
  return `AWS4-HMAC-SHA256 Credential=testing/20261121/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`
}

/** An AWS JSON-protocol call with a body we write byte for byte (the SDK would drop unknown members). */
export async function awsJson<T = Record<string, unknown>>(
  emulator: { url: string },
  region: string,
  target: string,
  body: unknown
): Promise<T> {
  const service = target.startsWith('CodePipeline')
    ? 'codepipeline'
    : target.startsWith('CodeBuild')
      ? 'codebuild'
      : target.startsWith('secretsmanager')
        ? 'secretsmanager'
        : 'unknown'
  const response = await fetch(emulator.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: authorization(region, service)
    },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${target} → ${response.status}: ${text}`)
  return (text ? JSON.parse(text) : {}) as T
}

/** An AWS query-protocol call (IAM, STS). */
export async function awsQuery(
  emulator: { url: string },
  service: 'iam' | 'sts',
  params: Record<string, string>
): Promise<string> {
  const version = service === 'iam' ? '2010-05-08' : '2011-06-15'
  const response = await fetch(emulator.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: authorization('us-east-1', service)
    },
    body: new URLSearchParams({ ...params, Version: version }).toString()
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${service} ${params['Action']} → ${response.status}: ${text}`)
  return text
}

export async function control<T = unknown>(
  emulator: { url: string },
  pathAndQuery: string,
  body?: unknown
): Promise<T> {
  const response = await fetch(`${emulator.url}${pathAndQuery}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${pathAndQuery} → ${response.status}: ${text}`)
  return (text ? JSON.parse(text) : {}) as T
}

export const reset = (emulator: { url: string }) => control(emulator, '/_emulator/reset', {})

export interface CallRecord {
  service: string
  action: string
  region: string
  status: number
}

export const calls = (emulator: { url: string }) =>
  control<CallRecord[]>(emulator, '/_emulator/calls')

const READ_ONLY = /^(Get|List|Describe|BatchGet)/
export async function writeCalls(emulator: { url: string }): Promise<CallRecord[]> {
  return (await calls(emulator)).filter((c) => !READ_ONLY.test(c.action))
}

/** The pipeline as moto stores it, secrets unmasked: test-only. */
export async function storedPipeline(
  emulator: { url: string },
  region: string,
  name: string
): Promise<{ pipeline: Record<string, unknown>; tags: { key: string; value: string }[] }> {
  return control(
    emulator,
    `/_emulator/codepipeline/pipeline?region=${region}&name=${encodeURIComponent(name)}`
  )
}

export async function createServiceRole(emulator: { url: string }, name = 'pipeline-role') {
  await awsQuery(emulator, 'iam', {
    Action: 'CreateRole',
    RoleName: name,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'codepipeline.amazonaws.com' },
          Action: 'sts:AssumeRole'
        }
      ]
    })
  })
  return `arn:aws:iam::${ACCOUNT}:role/${name}`
}

export async function createPipeline(
  emulator: { url: string },
  region: string,
  pipeline: Record<string, unknown>,
  tags?: { key: string; value: string }[]
): Promise<void> {
  await awsJson(emulator, region, 'CodePipeline_20150709.CreatePipeline', { pipeline, tags })
}

/** Tags a pipeline as CloudFormation does (aws: keys, which TagResource refuses to users). */
export async function tagAsStack(
  emulator: { url: string },
  region: string,
  name: string,
  stack: string
) {
  await control(emulator, '/_emulator/codepipeline/system-tags', {
    region,
    name,
    tags: [{ key: 'aws:cloudformation:stack-name', value: stack }]
  })
}
