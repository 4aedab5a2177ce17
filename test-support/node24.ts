/**
 * The Node 24 binary (what action.yml's `using: node24` runs the action on),
 * fetched once through `npx -y node@24` and cached for the process.
 */
import { execFileSync } from 'node:child_process'

let cached: string | undefined
let failure: Error | undefined

/** The path of a Node 24 binary; throws when npx can't provide one. */
export function node24Path(): string {
  if (cached !== undefined) return cached
  if (failure !== undefined) throw failure
  try {
    cached = execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim()
    return cached
  } catch (error) {
    failure = new Error(`npx could not provide Node 24: ${String(error)}`)
    throw failure
  }
}

/** The path of a Node 24 binary, or undefined when npx can't provide one. */
export function tryNode24Path(): string | undefined {
  try {
    return node24Path()
  } catch {
    return undefined
  }
}

/** `node --version` of a binary, e.g. `v24.11.0`. */
export function nodeVersionOf(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()
}
