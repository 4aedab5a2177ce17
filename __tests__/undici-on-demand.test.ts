import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// tsconfig.json points every bundled `import ... from 'undici'` at
// src/undici-on-demand.ts. A dependency update that imports anything else from
// undici would bundle without error and fail at run time: this catches it.
const root = fileURLToPath(new URL('..', import.meta.url))

function sources(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry)
    if (entry === 'undici' || entry === '.bin') continue
    const stat = statSync(full)
    if (stat.isDirectory()) sources(full, found)
    else if (/\.(c|m)?js$/.test(entry)) found.push(full)
  }
  return found
}

describe('undici-on-demand', () => {
  it('exports everything the bundled dependencies import from undici', async () => {
    const tsconfig = readFileSync(path.join(root, 'tsconfig.json'), 'utf8')
    expect(tsconfig).toMatch(/"paths":\s*\{\s*"undici":\s*\["\.\/src\/undici-on-demand\.ts"\]/)

    const imported = new Map<string, string[]>()
    const unsupported: string[] = []
    for (const file of sources(path.join(root, 'node_modules', '@actions'))) {
      const text = readFileSync(file, 'utf8')
      if (!text.includes('undici')) continue
      const relative = path.relative(root, file)
      for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]undici['"]/g)) {
        for (const name of (match[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/)[0])) {
          if (name) imported.set(name, [...(imported.get(name) ?? []), relative])
        }
      }
      // CommonJS (a nested @actions/http-client): `const undici_1 = require("undici")`.
      for (const match of text.matchAll(/(\w+)\s*=\s*require\(['"]undici['"]\)/g)) {
        const uses = new RegExp(`\\b${match[1]}\\.(\\w+)`, 'g')
        for (const use of text.matchAll(uses)) {
          const name = use[1] ?? ''
          imported.set(name, [...(imported.get(name) ?? []), relative])
        }
      }
      // Forms the shim cannot serve name by name: a namespace or default import.
      if (/import\s+(\*|\w+)[^;]*from\s*['"]undici['"]/.test(text)) unsupported.push(relative)
    }
    expect(unsupported).toEqual([])
    expect(imported.size).toBeGreaterThan(0)

    const shim = await import('../src/undici-on-demand.js')
    expect([...imported.keys()].filter((name) => !(name in shim))).toEqual([])
  })
})
