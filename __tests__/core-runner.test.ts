import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { checkRunnerFiles } from '../src/core/runner.js'

const root = fileURLToPath(new URL('..', import.meta.url))
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'runner-files-'))
  chmodSync(dir, 0o755)
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const message = (name: string, file: string) =>
  `${name} is set to '${file}', which does not exist or cannot be written: nothing was read or written, because the step could not report what it wrote — run the action as a step of a GitHub Actions job, or point ${name} at a writable file`

const NOBODY = 65534

/**
 * A Node binary the unprivileged user can run: this process's own may live
 * where only its owner may enter (`npx node@24` keeps it under the home
 * folder), so each `node` on PATH is tried too.
 */
function nodeForNobody(): string {
  const candidates = [
    process.execPath,
    ...(process.env['PATH'] ?? '').split(path.delimiter).map((folder) => path.join(folder, 'node'))
  ]
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-e', ''], { cwd: dir, uid: NOBODY, gid: NOBODY })
    if (probe.status === 0) return candidate
  }
  throw new Error(`no Node binary the user ${NOBODY} may run: tried ${candidates.join(', ')}`)
}

/**
 * checkRunnerFiles as a user who may not write `file`. Root may write any
 * file whatever its mode, so as root the check runs in a child process as
 * nobody; otherwise here. The child needs nothing from the checkout, which
 * may live in a folder only its owner may enter (a `mktemp -d` folder): the
 * check's own source, compiled to JavaScript, is copied to the
 * world-readable temporary folder and run from there.
 */
function checkAsUnprivileged(env: Record<string, string>): string {
  if (process.getuid?.() !== 0) {
    try {
      checkRunnerFiles(env)
      return 'ok'
    } catch (error) {
      return (error as Error).message
    }
  }
  const source = readFileSync(path.join(root, 'src/core/runner.ts'), 'utf8')
  const compiled = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }
  }).outputText
  const check = path.join(dir, 'runner-check.mjs')
  writeFileSync(
    check,
    [
      compiled,
      `try { checkRunnerFiles(${JSON.stringify(env)}); console.log('ok') }`,
      'catch (error) { console.log(error.message) }'
    ].join('\n')
  )
  chmodSync(check, 0o644)
  const child = spawnSync(nodeForNobody(), [check], {
    cwd: dir,
    uid: NOBODY,
    gid: NOBODY,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', HOME: dir }
  })
  if (child.status !== 0) throw new Error(`the check did not run: ${child.stderr}`)
  return child.stdout.trim()
}

describe('checkRunnerFiles', () => {
  it('accepts unset variables and writable files', () => {
    expect(() => checkRunnerFiles({})).not.toThrow()
    expect(() => checkRunnerFiles({ GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' })).not.toThrow()
    const output = path.join(dir, 'output')
    const summary = path.join(dir, 'summary')
    writeFileSync(output, '')
    writeFileSync(summary, '')
    expect(() =>
      checkRunnerFiles({ GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary })
    ).not.toThrow()
  })

  it.each(['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'])(
    'refuses %s set to a file that does not exist, naming the variable',
    (name) => {
      const missing = path.join(dir, 'no-such-dir', 'file')
      expect(() => checkRunnerFiles({ [name]: missing })).toThrow(message(name, missing))
    }
  )

  it('checks GITHUB_STEP_SUMMARY even when GITHUB_OUTPUT is fine', () => {
    const output = path.join(dir, 'fine')
    writeFileSync(output, '')
    const missing = path.join(dir, 'gone.md')
    expect(() => checkRunnerFiles({ GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: missing })).toThrow(
      message('GITHUB_STEP_SUMMARY', missing)
    )
  })

  it('reads process.env by default', () => {
    const saved = process.env['GITHUB_OUTPUT']
    const missing = path.join(dir, 'nowhere', 'out')
    process.env['GITHUB_OUTPUT'] = missing
    try {
      expect(() => checkRunnerFiles()).toThrow(message('GITHUB_OUTPUT', missing))
    } finally {
      if (saved === undefined) delete process.env['GITHUB_OUTPUT']
      else process.env['GITHUB_OUTPUT'] = saved
    }
  })

  it.each(['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'])(
    'refuses %s set to a file that cannot be written, naming the variable',
    (name) => {
      const readOnly = path.join(dir, `${name}-read-only`)
      writeFileSync(readOnly, '')
      chmodSync(readOnly, 0o444)
      expect(checkAsUnprivileged({ [name]: readOnly })).toBe(message(name, readOnly))
      // The same file, writable, passes the same way (the check itself works).
      chmodSync(readOnly, 0o666)
      expect(checkAsUnprivileged({ [name]: readOnly })).toBe('ok')
    }
  )
})
