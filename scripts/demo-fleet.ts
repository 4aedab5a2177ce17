/**
 * What `npm run demo` and `npm run harness` set up: a few sample pipelines in
 * the AWS emulator, and a fake GitHub that knows the token as a classic token
 * with the scopes the action wants, expiring in 60 days.
 */
import {
  awsJson,
  createPipeline,
  createServiceRole,
  type EmulatorLike
} from '../test-support/emulator.js'
import { expirationHeader, type FakeGitHubScenario } from '../test-support/fake-github.js'
import {
  ACCOUNT,
  buildAction,
  connectionSource,
  githubSource,
  pipeline,
  type JsonObject
} from '../test-support/pipelines.js'

/** What the demo pipelines hold before the rotation (the emulator stores it; nothing prints it). */
const OLD_TOKEN = 'old-demo-token'

/** The inputs of the demo's runs: every pipeline the demo seeds, in both regions. */
export const DEMO_TARGETS = {
  pipelines: 'MyFirstPipeline\nprod-*',
  regions: 'us-east-1, eu-west-1'
}

const github = (name: string, repo: string) => githubSource(name, repo, { token: OLD_TOKEN })

/** A pipeline whose Build stage reads the first source's output, as a console-made one does. */
function demoPipeline(
  name: string,
  roleArn: string,
  sources: JsonObject[],
  extra: JsonObject = {}
): JsonObject {
  const firstSource = String(sources[0]?.['name'] ?? 'Source')
  return pipeline(name, sources, {
    roleArn,
    artifactBucket: 'demo-artifacts',
    build: [buildAction('Build', { input: `${firstSource}Out`, project: 'demo-build' })],
    extra
  })
}

/**
 * us-east-1: MyFirstPipeline (one GitHub source), prod-api (V2, two GitHub
 * sources), prod-connections (CodeConnections: nothing to rotate); eu-west-1:
 * prod-eu. Returns [region, name] of each.
 */
export async function seedDemoPipelines(emulator: EmulatorLike): Promise<[string, string][]> {
  const roleArn = await createServiceRole(emulator, 'demo-pipeline-role')
  const fleet: [string, JsonObject][] = [
    ['us-east-1', demoPipeline('MyFirstPipeline', roleArn, [github('Source', 'web')])],
    [
      'us-east-1',
      demoPipeline('prod-api', roleArn, [github('Api', 'api'), github('Shared', 'shared-lib')], {
        pipelineType: 'V2',
        executionMode: 'QUEUED'
      })
    ],
    [
      'us-east-1',
      demoPipeline('prod-connections', roleArn, [
        connectionSource('Source', {
          connectionArn: `arn:aws:codeconnections:us-east-1:${ACCOUNT}:connection/demo`
        })
      ])
    ],
    ['eu-west-1', demoPipeline('prod-eu', roleArn, [github('Source', 'web')])]
  ]
  for (const [region, declaration] of fleet) await createPipeline(emulator, region, declaration)
  return fleet.map(([region, declaration]) => [region, String(declaration['name'])])
}

/** The SSM parameter the demo also keeps the token in (a SecureString under its own key). */
export const DEMO_PARAMETER = '/ci/github-token'

/** In both demo regions: a parameter name is updated in every region listed. */
export async function seedDemoParameter(emulator: EmulatorLike): Promise<void> {
  for (const region of ['us-east-1', 'eu-west-1']) {
    await awsJson(emulator, region, 'AmazonSSM.PutParameter', {
      Name: DEMO_PARAMETER,
      Value: OLD_TOKEN,
      Type: 'SecureString',
      KeyId: 'alias/ci-tokens'
    })
  }
}

/**
 * A fake GitHub scenario in which `token` is a classic token expiring in 60
 * days, seeing every repository, and `previous` (optional) the token it
 * replaces, of the same account, which the demo revokes.
 */
export function demoGitHub(token: string, previous?: string): FakeGitHubScenario {
  const behaviour = {
    login: 'demo-user',
    scopes: 'repo, admin:repo_hook',
    // An hour more, so the days left read 60 rather than 59 by the time the action looks.
    expiresAt: expirationHeader(new Date(Date.now() + 60 * 86_400_000 + 3_600_000)),
    repos: '*' as const
  }
  return { tokens: { [token]: behaviour, ...(previous ? { [previous]: behaviour } : {}) } }
}
