#!/usr/bin/env node
/**
 * `npm test`: jest (unit and e2e projects, with coverage) under Node 24 — the
 * Node that action.yml runs the action on and that `.node-version` and
 * `engines` name — whatever Node started npm; and, at the same time, the
 * emulator's own Python tests (they need no jest and mostly wait, as the e2e
 * tests do). Node 24 comes from `npx -y node@24` when this Node is older (CI
 * warms it; the first run downloads it once). Arguments go to jest, e.g.
 * `npm test -- e2e/core.e2e.test.ts`; with arguments the Python tests and
 * the coverage threshold are left out. The exit code is non-zero when either part fails.
 */
import { execFileSync, spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const NODE_MAJOR = 24
const jestArgs = process.argv.slice(2)

/** A Node NODE_MAJOR binary: this one if it is, else the one npx provides. */
function node24() {
  if (Number(process.versions.node.split('.')[0]) === NODE_MAJOR) return process.execPath
  return execFileSync('npx', ['-y', `node@${NODE_MAJOR}`, '-p', 'process.execPath'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit']
  }).trim()
}

/** Runs a command; resolves to its exit code. `output: 'buffer'` keeps its output until asked. */
function run(command, args, { env = process.env, output = 'inherit' } = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env,
    stdio: output === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe']
  })
  const chunks = []
  child.stdout?.on('data', (chunk) => chunks.push(chunk))
  child.stderr?.on('data', (chunk) => chunks.push(chunk))
  const code = new Promise((resolve) => {
    child.on('error', (error) => {
      chunks.push(Buffer.from(`${command}: ${error.message}\n`))
      resolve(1)
    })
    child.on('close', (status, signal) => resolve(status ?? (signal ? 1 : 0)))
  })
  return { code, output: () => Buffer.concat(chunks).toString('utf8') }
}

const node = node24()
const python =
  jestArgs.length === 0
    ? run(
        'python3',
        ['-m', 'unittest', 'discover', '-s', 'test-support/emulator', '-p', 'test_*.py'],
        { output: 'buffer' }
      )
    : undefined
const jest = run(
  node,
  [
    path.join(root, 'node_modules/jest/bin/jest.js'),
    // The coverage threshold is for the whole suite, not a file or two.
    ...(jestArgs.length === 0 ? ['--coverage'] : []),
    ...jestArgs
  ],
  {
    env: {
      ...process.env,
      NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules']
        .filter(Boolean)
        .join(' ')
    }
  }
)
const jestCode = await jest.code
let pythonCode = 0
if (python) {
  pythonCode = await python.code
  console.log("\nThe emulator's own tests (test-support/emulator, python3 -m unittest):")
  process.stdout.write(python.output())
}
console.log(
  `\njest on Node ${NODE_MAJOR}: ${jestCode === 0 ? 'passed' : 'FAILED'}` +
    (python ? `; emulator tests: ${pythonCode === 0 ? 'passed' : 'FAILED'}` : '')
)
process.exit(jestCode !== 0 ? jestCode : pythonCode)
