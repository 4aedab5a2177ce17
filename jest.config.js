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
  reporters: ['default', '<rootDir>/scripts/totals-reporter.cjs'],
  verbose: false
}
