/**
 * The shape of src/, checked by `npm run lint`: imports point one way —
 * core ← inputs ← aws, github ← stores, gate, retire ← main — with no cycle,
 * type-only imports included, and no store importing another store's
 * internals beyond its store.ts and types.ts.
 */
const layer = (name, may) => ({
  name: `${name}-imports`,
  comment: `${name} may import only ${may.join(', ') || 'nothing of src'}`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...may.map((m) => `^src/${m}/`)] }
})

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycle in src/, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true }
    },
    layer('core', []),
    layer('inputs', ['core']),
    layer('aws', ['core', 'inputs']),
    layer('github', ['core', 'inputs']),
    layer('gate', ['core', 'inputs', 'github']),
    layer('retire', ['core', 'inputs', 'github']),
    layer('stores', ['core', 'inputs', 'aws']),
    {
      name: 'stores-through-their-front',
      comment:
        'A store may use another store only through its store.ts or types.ts (the contribution API).',
      severity: 'error',
      from: { path: '^src/stores/([^/]+)/' },
      to: {
        path: '^src/stores/([^/]+)/',
        pathNot: ['^src/stores/$1/', '^src/stores/[^/]+/(store|types)\\.ts$']
      }
    },
    {
      name: 'only-main-wires',
      comment: 'Only main.ts and index.ts may import main.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/main\\.ts$' }
    }
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/github/fetch\\.ts$' }
  }
}
