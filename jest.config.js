// Two projects: unit tests import src/ directly (the actions/typescript-action
// ESM recipe); e2e tests run the bundled dist/index.js as a child process
// against moto, so they never count towards src/ coverage.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.all.json' }]
}
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: tsJest,
  testEnvironment: 'node'
}

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts']
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e.test.ts']
    }
  ],
  // Coverage is of src/ as the unit tests import it; the e2e suite runs the
  // bundle in a child process, so it adds nothing it did not really run.
  // src/github/fetch.ts serves only the bundle (see its header); the e2e suite runs it.
  collectCoverageFrom: ['src/**/*.ts', '!src/github/fetch.ts'],
  coverageThreshold: { global: { lines: 95, branches: 95 } },
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  // Per test; the e2e tests start processes and wait for the emulator (a project can't set it).
  testTimeout: 120000,
  // Test files run side by side, more of them than the machine has cores: an
  // e2e file spends most of its time waiting for its own emulator and fake
  // GitHub (each started on a free port, reset before each test), so files
  // never share one. Jest's default (cores - 1) ran them one at a time on a
  // 2-core machine.
  maxWorkers: 4,
  reporters: ['default', '<rootDir>/scripts/totals-reporter.cjs'],
  verbose: false
}
