// What the demo and the benchmark need of the AWS emulator (moto behind
// e2e/emulator/launcher.py): start it, and create the IAM role pipelines need.
// (The TypeScript e2e suite has its own in e2e/support/emulator.ts.)
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const LAUNCHER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'e2e',
  'emulator',
  'launcher.py'
)
export const ACCOUNT = '123456789012'

/** Starts the emulator on a free port; resolves once it prints EMULATOR_READY <url>. */
export function startLauncher(args = []) {
  const child = spawn('python3', [LAUNCHER, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start:\n${stderr}`)), 30000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^EMULATOR_READY (\S+)/.exec(line)
      if (match) {
        clearTimeout(timer)
        resolve({
          url: match[1],
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done()
              child.once('exit', () => done())
              child.kill('SIGTERM')
            })
        })
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`emulator exited with ${code}:\n${stderr}`))
    })
  })
}

/** The emulator reads region and service from the credential scope; it checks no signature. */
export const authorization = (region, service) =>
  `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`

/** Creates a role CodePipeline may assume (moto checks the pipeline's roleArn); returns its ARN. */
export async function createPipelineRole(url, roleName) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: authorization('us-east-1', 'iam')
    },
    body: new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: roleName,
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
    }).toString()
  })
  if (!response.ok) throw new Error(`CreateRole → ${response.status}: ${await response.text()}`)
  return `arn:aws:iam::${ACCOUNT}:role/${roleName}`
}
