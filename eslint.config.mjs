import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: false },
      globals: globals.node
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ],
      'no-console': ['error', { allow: ['error'] }]
    }
  },
  {
    // Everything the action prints goes through src/core/log.ts, which redacts
    // and neutralises it: no other module may print through @actions/core.
    files: ['src/**'],
    ignores: ['src/core/log.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@actions/core',
              importNames: [
                'info',
                'debug',
                'warning',
                'notice',
                'error',
                'setFailed',
                'setOutput',
                'summary',
                'group',
                'startGroup',
                'endGroup',
                'exportVariable'
              ],
              message: 'Print through src/core/log.ts, which redacts and neutralises every line.'
            }
          ]
        }
      ]
    }
  },
  {
    files: [
      'scripts/**',
      'bench/**',
      'e2e/**',
      'test-support/**',
      '__tests__/**',
      '__fixtures__/**'
    ],
    rules: { 'no-console': 'off' }
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  prettier
)
