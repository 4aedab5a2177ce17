/**
 * `npm run bundle`: builds dist/ with ncc, then does the two things ncc does
 * not do for a bundle with lazily loaded chunks (the SDK clients of the
 * stores a run has to ask for, see src/aws/client.ts):
 *
 * - minifies the chunks: ncc's `--minify` runs terser on dist/index.js only;
 *   the chunks get the same terser options ncc uses for the entry file;
 * - writes dist/licenses.txt for every package in any chunk: ncc's
 *   `--license` runs license-webpack-plugin with one output per chunk, all of
 *   the same name, so the last chunk's list overwrites the entry's. The
 *   packages come from webpack's stats and are rendered as the plugin does:
 *   sorted by name, the package.json licence, the package's first
 *   LICENSE/LICENCE file, CRLF as LF.
 *
 * dist/ is emptied first, so a chunk that is no longer built does not stay.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { minify } from 'terser'

const DIST = 'dist'
const STATS = join('node_modules', '.cache', 'ncc-stats.json')

rmSync(DIST, { recursive: true, force: true })
// A fresh clone has no node_modules/.cache: ncc writes its stats there and does not create it.
mkdirSync(dirname(STATS), { recursive: true })
execFileSync(
  join('node_modules', '.bin', 'ncc'),
  ['build', 'src/index.ts', '-o', DIST, '--minify', '--stats-out', STATS],
  { stdio: 'inherit' }
)

for (const chunk of readdirSync(DIST).filter((name) => /^\d+\.index\.js$/.test(name))) {
  const file = join(DIST, chunk)
  const result = await minify(readFileSync(file, 'utf8'), {
    module: true,
    compress: false,
    mangle: { keep_classnames: true, keep_fnames: true }
  })
  if (result.code === undefined) throw new Error(`terser returned no code for ${file}`)
  writeFileSync(file, result.code)
}

interface StatsModule {
  identifier?: string
  modules?: StatsModule[]
}

/** Package name → its directory, for every bundled module under node_modules. */
function bundledPackages(modules: StatsModule[] | undefined, into = new Map<string, string>()) {
  for (const module of modules ?? []) {
    // "loader!loader!/abs/path/file.js|hash": the module's own file is last.
    const resource = (module.identifier ?? '').split('!').pop()?.split('|')[0] ?? ''
    const match = /^(.*\/node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(resource)
    if (match?.[1] && match[2]) into.set(match[2], match[1])
    bundledPackages(module.modules, into)
  }
  return into
}

function licenceId(manifest: { license?: unknown; licenses?: unknown }): string | undefined {
  if (typeof manifest.license === 'string') return manifest.license
  const first: unknown = Array.isArray(manifest.licenses) ? manifest.licenses[0] : undefined
  const type = (first as { type?: unknown } | undefined)?.type
  return typeof type === 'string' ? type : undefined
}

function licenceText(directory: string, id: string | undefined): string | undefined {
  const named = id?.startsWith('SEE LICENSE IN ') ? id.split(' ')[3] : undefined
  const file =
    named ??
    readdirSync(directory).find(
      (name) => /^licen[cs]e/i.test(name) && !statSync(join(directory, name)).isDirectory()
    )
  return file ? readFileSync(join(directory, file), 'utf8').replace(/\r\n/g, '\n') : undefined
}

const stats = JSON.parse(readFileSync(STATS, 'utf8')) as { modules?: StatsModule[] }
const entries = [...bundledPackages(stats.modules)]
  .sort(([a], [b]) => (a < b ? -1 : 1))
  .map(([name, directory]) => {
    const id = licenceId(JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')))
    const text = licenceText(directory, id)
    return `${name}${id ? `\n${id}` : ''}${text ? `\n${text}` : ''}\n\n`
  })
writeFileSync(join(DIST, 'licenses.txt'), `${entries.join('').trim()}\n`)

for (const name of readdirSync(DIST).sort()) {
  console.log(`${String(statSync(join(DIST, name)).size).padStart(9)}  ${DIST}/${name}`)
}
