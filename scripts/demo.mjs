#!/usr/bin/env node
// `npm run demo`: starts the AWS emulator (moto behind e2e/emulator/launcher.py) with a few
// sample pipelines and a stand-in for GitHub's API, runs the bundled action on them the way
// the runner does, and prints the log and the job summary. No AWS account needed.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ACCOUNT, authorization, createPipelineRole, startLauncher } from './emulator.mjs'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
// A throwaway value for the demo, printed nowhere: the action masks it.
const token = `demo-token-${randomBytes(12).toString('hex')}`

/** Answers GET /user and GET /repos/{owner}/{repo} like GitHub does for a classic token. */
function startGitHub() {
  const expires = new Date(Date.now() + 60 * 86400000)
  const stamp = expires
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')
  const server = createServer((req, res) => {
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'x-oauth-scopes': 'repo, admin:repo_hook',
      'github-authentication-token-expiration': stamp,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600)
    }
    const authorized = req.headers.authorization?.endsWith(token)
    if (!authorized) {
      res.writeHead(401, headers).end('{"message":"Bad credentials","status":"401"}')
    } else if (req.url === '/user') {
      res.writeHead(200, headers).end('{"login":"demo-user","id":1,"type":"User"}')
    } else if (/^\/repos\/[^/]+\/[^/]+$/.test(req.url ?? '')) {
      const [, , owner, repo] = (req.url ?? '').split('/')
      res.writeHead(200, headers).end(JSON.stringify({ name: repo, full_name: `${owner}/${repo}` }))
    } else {
      res.writeHead(404, headers).end('{"message":"Not Found","status":"404"}')
    }
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` })
    )
  )
}

async function createPipeline(url, region, pipeline) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'CodePipeline_20150709.CreatePipeline',
      authorization: authorization(region, 'codepipeline')
    },
    body: JSON.stringify({ pipeline })
  })
  if (!response.ok) throw new Error(`CreatePipeline: ${response.status} ${await response.text()}`)
}

const github = (name, repo) => ({
  name,
  actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' },
  configuration: {
    Owner: 'example-org',
    Repo: repo,
    Branch: 'main',
    OAuthToken: 'old-demo-token',
    PollForSourceChanges: 'false'
  },
  outputArtifacts: [{ name: `${name}Out` }]
})
const stages = (sources) => [
  { name: 'Source', actions: sources },
  {
    name: 'Build',
    actions: [
      {
        name: 'Build',
        actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
        configuration: { ProjectName: 'demo-build' },
        inputArtifacts: [{ name: `${sources[0].name}Out` }]
      }
    ]
  }
]

async function seed(url) {
  const roleArn = await createPipelineRole(url, 'demo-pipeline-role')
  const pipelines = [
    ['us-east-1', { name: 'MyFirstPipeline', stages: stages([github('Source', 'web')]) }],
    [
      'us-east-1',
      {
        name: 'prod-api',
        pipelineType: 'V2',
        executionMode: 'QUEUED',
        stages: stages([github('Api', 'api'), github('Shared', 'shared-lib')])
      }
    ],
    [
      'us-east-1',
      {
        name: 'prod-connections',
        stages: stages([
          {
            name: 'Source',
            actionTypeId: {
              category: 'Source',
              owner: 'AWS',
              provider: 'CodeStarSourceConnection',
              version: '1'
            },
            configuration: {
              ConnectionArn: `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/demo`,
              FullRepositoryId: 'example-org/app',
              BranchName: 'main'
            },
            outputArtifacts: [{ name: 'SourceOut' }]
          }
        ])
      }
    ],
    ['eu-west-1', { name: 'prod-eu', stages: stages([github('Source', 'web')]) }]
  ]
  for (const [region, pipeline] of pipelines) {
    await createPipeline(url, region, {
      roleArn,
      artifactStore: { type: 'S3', location: 'demo-artifacts' },
      ...pipeline
    })
  }
}

/** action.yml runs on node24: use it when npx can provide it, else this Node. */
function nodeForAction() {
  try {
    return execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim()
  } catch {
    return process.execPath
  }
}
const actionNode = nodeForAction()

function runAction(inputs, env) {
  const defaults = {
    'dry-run': 'false',
    'verify-token': 'true',
    'min-days-left': '7',
    'max-concurrency': '8',
    'codebuild-server-type': 'GITHUB',
    'codebuild-auth-type': 'PERSONAL_ACCESS_TOKEN'
  }
  const all = { ...defaults, ...inputs }
  const inputEnv = Object.fromEntries(
    Object.entries(all).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])
  )
  return new Promise((resolve) => {
    const child = spawn(actionNode, [path.join(root, 'dist/index.js')], {
      env: { PATH: process.env.PATH, ...env, ...inputEnv },
      stdio: ['ignore', 'inherit', 'inherit']
    })
    child.on('close', resolve)
  })
}

const work = mkdtempSync(path.join(tmpdir(), 'rotate-demo-'))
const emulator = await startLauncher()
const gh = await startGitHub()
try {
  await seed(emulator.url)
  const summary = path.join(work, 'summary.md')
  writeFileSync(summary, '')
  writeFileSync(path.join(work, 'output'), '')
  const env = {
    AWS_ENDPOINT_URL: emulator.url,
    AWS_ACCESS_KEY_ID: 'demo',
    AWS_SECRET_ACCESS_KEY: 'demo',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    GITHUB_OUTPUT: path.join(work, 'output'),
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_REPOSITORY: 'example-org/platform',
    GITHUB_RUN_ID: '1'
  }
  const inputs = {
    token,
    pipelines: 'MyFirstPipeline\nprod-*',
    regions: 'us-east-1, eu-west-1',
    'github-api-url': gh.url,
    codebuild: 'import'
  }
  console.log('\n=== 1. Dry run: the plan ===\n')
  await runAction({ ...inputs, 'dry-run': 'true' }, env)
  writeFileSync(summary, '')
  console.log('\n=== 2. Rotation ===\n')
  const code = await runAction(inputs, env)
  console.log('\n=== Job summary (GITHUB_STEP_SUMMARY) ===\n')
  console.log(readFileSync(summary, 'utf8'))
  console.log(`Action exit code: ${code}`)
  process.exitCode = code ?? 1
} finally {
  gh.server.close()
  await emulator.stop()
  rmSync(work, { recursive: true, force: true })
}
