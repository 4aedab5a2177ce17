/**
 * `npm run demo`: starts the AWS emulator with a few sample pipelines (one of
 * them in the middle of a deployment) and an SSM parameter, and a stand-in
 * for GitHub's API; runs the bundled action on them the way the runner does
 * (under Node 24, action.yml's runtime, when npx can provide it), first as a
 * dry run, then for real — waiting for the deployment, then revoking the old
 * token — and prints the log and the job summary. No AWS account and no
 * GitHub token needed.
 */
import { randomBytes } from 'node:crypto'
import { addExecution, startEmulator } from '../test-support/emulator.js'
import { startFakeGitHub } from '../test-support/fake-github.js'
import { runAction, tryNode24Path } from '../test-support/run-action.js'
import {
  DEMO_PARAMETER,
  DEMO_TARGETS,
  demoGitHub,
  seedDemoParameter,
  seedDemoPipelines
} from './demo-fleet.js'

// Throwaway values for the demo, printed nowhere: the action masks them.
const token = `demo-token-${randomBytes(12).toString('hex')}`
const previous = `demo-old-token-${randomBytes(12).toString('hex')}`

const emulator = await startEmulator()
const github = await startFakeGitHub(demoGitHub(token, previous))
try {
  await seedDemoPipelines(emulator)
  await seedDemoParameter(emulator)
  // prod-api is deploying: the rotation waits for that run instead of cancelling it.
  await addExecution(emulator, { region: 'us-east-1', name: 'prod-api', durationSeconds: 12 })
  const node = tryNode24Path() === undefined ? 'current' : '24'
  console.log(
    node === '24'
      ? '(running the action on Node 24, as action.yml does)'
      : `(npx can't provide Node 24: running the action on this Node, ${process.version})`
  )
  const run = (inputs: Record<string, string>) =>
    runAction({
      inputs: {
        token,
        ...DEMO_TARGETS,
        'github-api-url': github.url,
        codebuild: 'import',
        parameters: DEMO_PARAMETER,
        'previous-token': previous,
        ...inputs
      },
      node,
      stream: true,
      env: {
        AWS_ENDPOINT_URL: emulator.url,
        GITHUB_REPOSITORY: 'example-org/platform',
        GITHUB_RUN_ID: '1'
      }
    })

  console.log('\n=== 1. Dry run: the plan ===\n')
  await run({ 'dry-run': 'true' })
  console.log('\n=== 2. Rotation ===\n')
  const result = await run({})
  console.log('\n=== Job summary (GITHUB_STEP_SUMMARY) ===\n')
  console.log(result.summary)
  console.log(`Action exit code: ${result.code}`)
  process.exitCode = result.code ?? 1
} finally {
  await github.close()
  await emulator.stop()
}
