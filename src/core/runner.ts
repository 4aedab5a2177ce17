/**
 * The runner's files must be writable before anything is read or written:
 * otherwise the rotation would write to AWS and only then fail to report it.
 */
import { accessSync, constants } from 'node:fs'

export function checkRunnerFiles(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY']) {
    const file = env[name]
    if (!file) continue
    try {
      accessSync(file, constants.W_OK)
    } catch {
      throw new Error(
        `${name} is set to '${file}', which does not exist or cannot be written: nothing was read or written, because the step could not report what it wrote — run the action as a step of a GitHub Actions job, or point ${name} at a writable file`
      )
    }
  }
}
