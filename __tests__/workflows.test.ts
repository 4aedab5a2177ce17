/**
 * Checks the repository's GitHub configuration the way GitHub reads it:
 * every workflow in .github/workflows with GitHub's own workflow parser
 * (@actions/workflow-parser, the parser behind the Actions language
 * service), action.yml with the same package's action parser, plus the rules
 * no parser knows: third-party actions pinned to full commit SHAs, the
 * reusable workflow calling the action only with inputs that action.yml
 * declares, write permissions only where they belong, and dependabot.yml.
 *
 * Each check is a plain function that returns a list of problems, and each is
 * also run against a deliberately broken input, so a check that can no longer
 * fail is noticed.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  isLiteral,
  parseWorkflow
} from '@actions/workflow-parser'
import {
  convertActionTemplate,
  parseAction,
  type ActionTemplate
} from '@actions/workflow-parser/actions/index'
import { ErrorPolicy } from '@actions/workflow-parser/model/convert'
import { parse as parseYaml } from 'yaml'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const workflowsDir = join(repoRoot, '.github', 'workflows')
const actionPath = join(repoRoot, 'action.yml')
const dependabotPath = join(repoRoot, '.github', 'dependabot.yml')
const reusableWorkflowFile = 'rotate-github-token.yml'

const read = (path: string): string => readFileSync(path, 'utf8')

const workflowFiles = readdirSync(workflowsDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort()

type Yaml = Record<string, unknown>

const isObject = (value: unknown): value is Yaml =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const asObject = (value: unknown): Yaml => (isObject(value) ? value : {})

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

// --- GitHub's parser -------------------------------------------------------

/** Every error GitHub's workflow parser and converter report for a file. */
async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  if (parsed.value === undefined) {
    return errors.length > 0 ? errors : [`${name}: nothing could be parsed`]
  }
  // TryConversion also runs the semantic checks (jobs, steps, needs, events,
  // expressions) when parsing already found errors, and reports all of them.
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, {
    errorPolicy: ErrorPolicy.TryConversion
  })
  const converted = (template.errors ?? []).map((e) => e.Message)
  return [...new Set([...errors, ...converted])]
}

interface ParsedAction {
  errors: string[]
  action: ActionTemplate | undefined
}

/** action.yml through GitHub's action parser (strict action schema). */
function parseActionMetadata(name: string, content: string): ParsedAction {
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter())
  if (parsed.value === undefined) {
    const errors = parsed.context.errors.getErrors().map((e) => e.message)
    return {
      errors: errors.length > 0 ? errors : [`${name}: nothing could be parsed`],
      action: undefined
    }
  }
  const action = convertActionTemplate(parsed.context, parsed.value, {
    errorPolicy: ErrorPolicy.TryConversion
  })
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  return { errors, action }
}

/** What this repository requires of its action metadata beyond the schema. */
function actionMetadataProblems(action: ActionTemplate): string[] {
  const problems: string[] = []
  if (!action.name?.trim()) problems.push('action.yml has no name')
  if (!action.description?.trim()) problems.push('action.yml has no description')
  const runs = action.runs as Partial<Record<'using' | 'main', unknown>> | undefined
  if (runs?.using !== 'node24') {
    problems.push(`runs.using is ${String(runs?.using)}, expected node24`)
  }
  if (runs?.main !== 'dist/index.js') {
    problems.push(`runs.main is ${String(runs?.main)}, expected dist/index.js`)
  }
  for (const input of action.inputs ?? []) {
    if (!input.description?.trim()) problems.push(`input ${input.id} has no description`)
  }
  for (const output of action.outputs ?? []) {
    if (!output.description?.trim()) problems.push(`output ${output.id} has no description`)
  }
  if (!action.branding?.icon || !action.branding.color) {
    problems.push('action.yml needs branding with an icon and a color')
  }
  return problems
}

// --- Pinning of third-party actions ----------------------------------------

interface UsesLine {
  file: string
  line: number
  uses: string
  comment: string | undefined
}

/** The `uses:` references of a YAML file, with their trailing comments. */
function usesLines(file: string, content: string): UsesLine[] {
  const found: UsesLine[] = []
  content.split('\n').forEach((text, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1\s*(?:#\s*(.*?))?\s*$/.exec(text)
    if (match?.[2]) {
      found.push({ file, line: index + 1, uses: match[2], comment: match[3] })
    }
  })
  return found
}

/** Every `uses:` value of a workflow, read as YAML (jobs and their steps). */
function usesValues(workflow: unknown): string[] {
  const values: string[] = []
  for (const job of Object.values(asObject(asObject(workflow).jobs))) {
    const jobUses = asObject(job).uses
    if (typeof jobUses === 'string') values.push(jobUses)
    for (const step of asArray(asObject(job).steps)) {
      const stepUses = asObject(step).uses
      if (typeof stepUses === 'string') values.push(stepUses)
    }
  }
  return values
}

const isLocalReference = (uses: string): boolean =>
  uses.startsWith('./') || uses.startsWith('$/') || uses.startsWith('docker://')

/**
 * Third-party actions and workflows must be pinned to a full 40-character
 * commit SHA with a `# vX.Y.Z` comment (what Dependabot keeps up to date), and
 * one action must be pinned to one commit everywhere.
 */
function pinningProblems(lines: UsesLine[]): string[] {
  const problems: string[] = []
  const pins = new Map<string, Set<string>>()
  for (const { file, line, uses, comment } of lines) {
    if (isLocalReference(uses)) continue
    const where = `${file}:${line} ${uses}`
    const [name, ref, ...rest] = uses.split('@')
    if (!name || !ref || rest.length > 0) {
      problems.push(`${where}: expected owner/repo@<commit SHA>`)
      continue
    }
    if (!/^[0-9a-f]{40}$/.test(ref)) {
      problems.push(`${where}: not pinned to a full 40-character commit SHA`)
    }
    if (!comment || !/^v\d+\.\d+\.\d+$/.test(comment)) {
      problems.push(`${where}: needs a "# vX.Y.Z" comment naming the pinned release`)
    }
    const pin = `${ref} # ${comment ?? ''}`
    pins.set(name, new Set([...(pins.get(name) ?? []), pin]))
  }
  for (const [name, set] of pins) {
    if (set.size > 1) {
      problems.push(`${name} is pinned to different commits: ${[...set].join(', ')}`)
    }
  }
  return problems
}

// --- The reusable workflow calling the action ------------------------------

interface ActionCall {
  job: string
  with: Yaml
}

/** Steps of a workflow that run this repository's action. */
function actionCalls(workflow: unknown): ActionCall[] {
  const calls: ActionCall[] = []
  for (const [job, definition] of Object.entries(asObject(asObject(workflow).jobs))) {
    for (const step of asArray(asObject(definition).steps)) {
      const uses = asObject(step).uses
      if (uses === '$/' || uses === './') {
        calls.push({ job, with: asObject(asObject(step).with) })
      }
    }
  }
  return calls
}

const matrixFieldPattern =
  /matrix\.target(?:\[\s*'([^']+)'\s*\]|\[\s*"([^"]+)"\s*\]|\.([A-Za-z_][\w-]*))/g

/** The target fields an expression reads, e.g. matrix.target['regions']. */
const matrixFields = (value: string): string[] =>
  [...value.matchAll(matrixFieldPattern)].map((m) => m[1] ?? m[2] ?? m[3] ?? '')

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The reusable workflow may pass only inputs that action.yml declares, must
 * pass every required one, must forward each target field to the input of
 * the same name, and must restate an input's default when it forwards a target
 * field that a target may leave out: `with: x: ''` overrides the default.
 * `knownFields` are the target fields the workflow accepts (all but `name`
 * must reach the action).
 */
function actionCallProblems(
  workflow: unknown,
  action: ActionTemplate,
  knownFields: string[]
): string[] {
  const problems: string[] = []
  const inputs = new Map((action.inputs ?? []).map((input) => [input.id, input]))
  const calls = actionCalls(workflow)
  if (calls.length === 0) problems.push('no step runs the action (uses: $/)')
  for (const call of calls) {
    const forwarded = new Set<string>()
    for (const [key, raw] of Object.entries(call.with)) {
      const value = typeof raw === 'string' ? raw : String(raw)
      const input = inputs.get(key)
      if (!input) {
        problems.push(`${call.job}: with.${key} is not an input of action.yml`)
        continue
      }
      const fields = matrixFields(value)
      for (const field of fields) {
        forwarded.add(field)
        if (field !== key) {
          problems.push(
            `${call.job}: with.${key} reads target field "${field}"; forward each field to the input of the same name`
          )
        }
        if (!knownFields.includes(field)) {
          problems.push(
            `${call.job}: with.${key} reads target field "${field}", which the targets check does not accept`
          )
        }
      }
      if (fields.length === 0 || input.default === undefined) continue
      const fallback = input.default.toString()
      if (!isLiteral(input.default)) {
        problems.push(
          `${call.job}: with.${key} forwards a target field, which overrides the default ${fallback} of action.yml`
        )
      } else if (
        fallback !== '' &&
        !new RegExp(`\\|\\|\\s*'${escapeRegExp(fallback.replace(/'/g, "''"))}'\\s*}}\\s*$`).test(
          value
        )
      ) {
        problems.push(
          `${call.job}: with.${key} must fall back to action.yml's default: \${{ ... || '${fallback}' }}`
        )
      }
    }
    for (const [id, input] of inputs) {
      if (input.required && input.default === undefined && !(id in call.with)) {
        problems.push(`${call.job}: the required input ${id} is not passed`)
      }
    }
    // A job per target forwards every field; the last job (retire) none.
    const perTarget = forwarded.size > 0
    for (const field of perTarget ? knownFields : []) {
      if (field !== 'name' && !forwarded.has(field)) {
        problems.push(
          `${call.job}: the target field "${field}" is accepted but never reaches the action`
        )
      }
    }
  }
  return problems
}

/** The target fields the reusable workflow's check job accepts. */
function knownTargetFields(workflow: unknown): string[] {
  const check = asObject(asObject(asObject(workflow).jobs).check)
  for (const step of asArray(check.steps)) {
    const known = asObject(asObject(step).env).KNOWN_FIELDS
    if (typeof known === 'string') return known.split(/\s+/).filter(Boolean)
  }
  return []
}

// --- Permissions -------------------------------------------------------------

/** `file: scope` for every permission a workflow grants with write access. */
function writePermissions(file: string, workflow: unknown): string[] {
  const grants: string[] = []
  const collect = (permissions: unknown): void => {
    if (permissions === 'write-all') grants.push(`${file}: write-all`)
    for (const [scope, access] of Object.entries(asObject(permissions))) {
      if (access === 'write') grants.push(`${file}: ${scope}`)
    }
  }
  collect(asObject(workflow).permissions)
  for (const job of Object.values(asObject(asObject(workflow).jobs))) {
    collect(asObject(job).permissions)
  }
  return grants.sort()
}

// --- dependabot.yml ----------------------------------------------------------

function dependabotProblems(config: unknown): string[] {
  const problems: string[] = []
  const root = asObject(config)
  if (root.version !== 2) problems.push('version must be 2')
  const updates = asArray(root.updates).map(asObject)
  const ecosystem = (name: string): Yaml | undefined =>
    updates.find((update) => update['package-ecosystem'] === name)
  for (const name of ['npm', 'github-actions']) {
    const update = ecosystem(name)
    if (!update) {
      problems.push(`no update entry for ${name}`)
      continue
    }
    if (update.directory !== '/') problems.push(`${name}: directory must be /`)
    if (asObject(update.schedule).interval !== 'weekly') {
      problems.push(`${name}: schedule.interval must be weekly`)
    }
  }
  const groups = Object.values(asObject(ecosystem('npm')?.groups)).map(asObject)
  if (!groups.some((group) => asArray(group.patterns).includes('@aws-sdk/*'))) {
    problems.push('npm: the @aws-sdk/* packages must be grouped')
  }
  if (!groups.some((group) => group['dependency-type'] === 'development')) {
    problems.push('npm: the development dependencies must be grouped')
  }
  return problems
}

// --- Tests -------------------------------------------------------------------

describe('GitHub workflows', () => {
  it('has the CI, release and reusable rotation workflows', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining(['ci.yml', 'release.yml', reusableWorkflowFile])
    )
  })

  it.each(workflowFiles)('%s passes GitHub’s workflow parser', async (file) => {
    expect(await workflowErrors(file, read(join(workflowsDir, file)))).toEqual([])
  })

  it('the parser check fails for a broken workflow', async () => {
    const broken = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    permissions:',
      '      contents: sometimes',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '        run: echo a step cannot both use and run',
      '      - run: echo ${{ github.sha( }}',
      '    environment: ${{ secrets.ENVIRONMENT }}',
      ''
    ].join('\n')
    const errors = await workflowErrors('broken.yml', broken)
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("Unexpected value 'sometimes'"),
        expect.stringContaining("Unexpected value 'run'"),
        expect.stringContaining("Unexpected symbol: '('"),
        expect.stringContaining("Unrecognized named-value: 'secrets'")
      ])
    )
    expect(await workflowErrors('not-yaml.yml', 'on: push\njobs:\n  a: [\n')).not.toEqual([])
    expect(await workflowErrors('no-jobs.yml', 'on: push\n')).not.toEqual([])
  })

  it('pins every third-party action to a full commit SHA with a version comment', () => {
    const lines = workflowFiles.flatMap((file) => usesLines(file, read(join(workflowsDir, file))))
    // The line scan must see every `uses:` that YAML sees.
    const fromYaml = workflowFiles.flatMap((file) =>
      usesValues(parseYaml(read(join(workflowsDir, file))))
    )
    expect(lines.map((l) => l.uses).sort()).toEqual(fromYaml.sort())
    expect(lines.length).toBeGreaterThan(0)
    expect(pinningProblems(lines)).toEqual([])
  })

  it('the pinning check fails for tags, short SHAs and missing comments', () => {
    const sha = '0123456789abcdef0123456789abcdef01234567'
    const other = 'fedcba9876543210fedcba9876543210fedcba98'
    const content = [
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - uses: actions/setup-node@49933ea # v4.4.0',
      `      - uses: actions/cache@${sha}`,
      `      - uses: actions/upload-artifact@${sha} # v4`,
      `      - uses: "actions/setup-python@${sha}" # v5.6.0`,
      `      - uses: actions/setup-python@${other} # v5.6.0`,
      '      - uses: ./local',
      '      - uses: $/',
      '      - uses: docker://alpine:3'
    ].join('\n')
    const problems = pinningProblems(usesLines('x.yml', content))
    expect(problems).toEqual([
      'x.yml:2 actions/checkout@v4: not pinned to a full 40-character commit SHA',
      'x.yml:2 actions/checkout@v4: needs a "# vX.Y.Z" comment naming the pinned release',
      'x.yml:3 actions/setup-node@49933ea: not pinned to a full 40-character commit SHA',
      `x.yml:4 actions/cache@${sha}: needs a "# vX.Y.Z" comment naming the pinned release`,
      `x.yml:5 actions/upload-artifact@${sha}: needs a "# vX.Y.Z" comment naming the pinned release`,
      `actions/setup-python is pinned to different commits: ${sha} # v5.6.0, ${other} # v5.6.0`
    ])
  })

  it('grants write access only to the release job (contents) and to OIDC (id-token)', () => {
    const grants = workflowFiles.flatMap((file) =>
      writePermissions(file, parseYaml(read(join(workflowsDir, file))))
    )
    expect(grants.sort()).toEqual(['release.yml: contents', `${reusableWorkflowFile}: id-token`])
  })

  it('sets up Node.js from .node-version, which names the runtime of action.yml', () => {
    expect(read(join(repoRoot, '.node-version')).trim()).toBe('24')
    for (const file of workflowFiles) {
      for (const job of Object.values(
        asObject(asObject(parseYaml(read(join(workflowsDir, file)))).jobs)
      )) {
        for (const step of asArray(asObject(job).steps).map(asObject)) {
          if (typeof step.uses === 'string' && step.uses.startsWith('actions/setup-node@')) {
            expect({ file, with: step.with }).toEqual({
              file,
              with: expect.objectContaining({ 'node-version-file': '.node-version' })
            })
          }
        }
      }
    }
  })
})

describe('the reusable rotation workflow', () => {
  const workflow = parseYaml(read(join(workflowsDir, reusableWorkflowFile))) as unknown
  const on = asObject(asObject(workflow).on)
  const call = asObject(on.workflow_call)
  const rotate = asObject(asObject(asObject(workflow).jobs).rotate)

  it('is only callable, with the documented inputs and secret', () => {
    expect(Object.keys(on)).toEqual(['workflow_call'])
    expect(asObject(call.inputs)).toEqual({
      targets: expect.objectContaining({ type: 'string', required: true }),
      'dry-run': expect.objectContaining({ type: 'boolean', default: false }),
      'min-days-left': expect.objectContaining({ type: 'number', default: 7 }),
      environment: expect.objectContaining({ type: 'string', required: false })
    })
    expect(asObject(call.secrets)).toEqual({
      token: expect.objectContaining({ required: true }),
      'previous-token': expect.objectContaining({ required: false })
    })
  })

  it('runs one job per target, with OIDC and in the optional environment', () => {
    expect(rotate.needs).toBe('check')
    expect(rotate.permissions).toEqual({ 'id-token': 'write', contents: 'read' })
    expect(rotate.environment).toBe('${{ inputs.environment }}')
    expect(String(rotate.name)).toContain('matrix.target.name')
    const strategy = asObject(rotate.strategy)
    expect(strategy['fail-fast']).toBe(false)
    expect(strategy['max-parallel']).toEqual(expect.any(Number))
    expect(asObject(strategy.matrix)).toEqual({ target: '${{ fromJSON(inputs.targets) }}' })
  })

  it('passes the token secret and the workflow inputs to the action', () => {
    const calls = actionCalls(workflow)
    expect(calls.map((c) => c.job)).toEqual(['rotate', 'retire'])
    expect(calls[0]?.with).toEqual(
      expect.objectContaining({
        token: '${{ secrets.token }}',
        'dry-run': '${{ inputs.dry-run }}',
        'min-days-left': '${{ inputs.min-days-left }}'
      })
    )
  })

  it('revokes the previous token once, after every target, never in a target job', () => {
    const [perTarget, last] = actionCalls(workflow)
    // A target's job revoking would end the old token while other accounts use it.
    expect(perTarget?.with).not.toHaveProperty('previous-token')
    expect(last?.with).toEqual({
      token: '${{ secrets.token }}',
      'previous-token': '${{ secrets.previous-token }}',
      'dry-run': '${{ inputs.dry-run }}'
    })
    const jobs = asObject(asObject(workflow).jobs)
    const retire = asObject(jobs.retire)
    expect(retire.needs).toBe('rotate')
    expect(String(retire.if)).toContain('success()')
    expect(asObject(retire.permissions)).not.toHaveProperty('id-token')
    // Each target's job fails when not every target holds the new token.
    const guard = asArray(rotate.steps)
      .map(asObject)
      .find((step) => String(step.if).includes('complete'))
    expect(String(guard?.if)).toMatch(/steps\.rotate\.outputs\.complete != 'true'/)
    expect(String(guard?.if)).toMatch(/RETIRE_PREVIOUS == 'true'/)
    expect(String(guard?.run)).toContain('exit 1')
  })

  const describeWithAction = existsSync(actionPath) ? describe : describe.skip

  describeWithAction('against action.yml', () => {
    it('passes only inputs that action.yml declares, with their defaults', () => {
      const { errors, action } = parseActionMetadata('action.yml', read(actionPath))
      expect(errors).toEqual([])
      expect(action).toBeDefined()
      if (!action) return
      expect(actionCallProblems(workflow, action, knownTargetFields(workflow))).toEqual([])
    })
  })

  it('the call check fails for undeclared inputs, renamed fields and lost defaults', () => {
    const { errors, action } = parseActionMetadata(
      'action.yml',
      [
        'name: Example',
        'description: Example action',
        'inputs:',
        '  token:',
        '    description: The token.',
        '    required: true',
        '  regions:',
        '    description: Regions.',
        '    default: ""',
        '  codebuild-server-type:',
        '    description: Server type.',
        '    default: GITHUB',
        '  github-api-url:',
        '    description: API URL.',
        '    default: ${{ github.api_url }}',
        'runs:',
        '  using: node24',
        '  main: dist/index.js',
        ''
      ].join('\n')
    )
    expect(errors).toEqual([])
    if (!action) throw new Error('the example action did not parse')
    const broken = parseYaml(
      [
        'jobs:',
        '  rotate:',
        '    steps:',
        '      - uses: $/',
        '        with:',
        '          tokn: ${{ secrets.token }}',
        "          regions: ${{ matrix.target['region'] }}",
        "          codebuild-server-type: ${{ matrix.target['codebuild-server-type'] }}",
        "          github-api-url: ${{ matrix.target['github-api-url'] }}",
        ''
      ].join('\n')
    ) as unknown
    const known = ['name', 'regions', 'codebuild-server-type', 'github-api-url']
    expect(actionCallProblems(broken, action, known)).toEqual([
      'rotate: with.tokn is not an input of action.yml',
      'rotate: with.regions reads target field "region"; forward each field to the input of the same name',
      'rotate: with.regions reads target field "region", which the targets check does not accept',
      "rotate: with.codebuild-server-type must fall back to action.yml's default: ${{ ... || 'GITHUB' }}",
      'rotate: with.github-api-url forwards a target field, which overrides the default ${{ github.api_url }} of action.yml',
      'rotate: the required input token is not passed',
      'rotate: the target field "regions" is accepted but never reaches the action'
    ])
    expect(actionCallProblems({ jobs: {} }, action, [])).toEqual([
      'no step runs the action (uses: $/)'
    ])
  })
})

describe('action.yml', () => {
  const describeWithAction = existsSync(actionPath) ? describe : describe.skip

  describeWithAction('the repository’s action metadata', () => {
    it('passes GitHub’s action parser and the repository’s rules', () => {
      const { errors, action } = parseActionMetadata('action.yml', read(actionPath))
      expect(errors).toEqual([])
      expect(action).toBeDefined()
      if (action) expect(actionMetadataProblems(action)).toEqual([])
    })

    it('runs on the Node.js version of .node-version', () => {
      const { action } = parseActionMetadata('action.yml', read(actionPath))
      const runs = action?.runs as Partial<Record<'using', unknown>> | undefined
      expect(runs?.using).toBe(`node${read(join(repoRoot, '.node-version')).trim()}`)
    })
  })

  it('the metadata checks fail for broken action metadata', () => {
    // Not YAML: a plain scalar cannot hold ": ".
    expect(
      parseActionMetadata(
        'a.yml',
        'name: A\ndescription: Server type: GITHUB\nruns:\n  using: node24\n  main: x.js\n'
      ).errors
    ).not.toEqual([])
    // YAML, but not an action: no runs, an unknown key.
    expect(parseActionMetadata('b.yml', 'name: B\ndescription: B\nrunz: {}\n').errors).not.toEqual(
      []
    )

    const { errors, action } = parseActionMetadata(
      'c.yml',
      [
        'name: C',
        'description: C',
        'inputs:',
        '  token:',
        '    required: true',
        'outputs:',
        '  report:',
        '    value: x',
        'runs:',
        '  using: node20',
        '  main: lib/main.js',
        ''
      ].join('\n')
    )
    expect(errors).toEqual([])
    if (!action) throw new Error('c.yml did not parse')
    expect(actionMetadataProblems(action)).toEqual([
      'runs.using is node20, expected node24',
      'runs.main is lib/main.js, expected dist/index.js',
      'input token has no description',
      'output report has no description',
      'action.yml needs branding with an icon and a color'
    ])
  })
})

describe('dependabot.yml', () => {
  it('parses and updates npm and GitHub Actions weekly, grouped', () => {
    expect(existsSync(dependabotPath)).toBe(true)
    expect(dependabotProblems(parseYaml(read(dependabotPath)))).toEqual([])
  })

  it('the dependabot check fails for a config without the expected updates', () => {
    expect(
      dependabotProblems(
        parseYaml(
          [
            'version: 1',
            'updates:',
            '  - package-ecosystem: npm',
            '    directory: /src',
            '    schedule:',
            '      interval: daily',
            ''
          ].join('\n')
        )
      )
    ).toEqual([
      'version must be 2',
      'npm: directory must be /',
      'npm: schedule.interval must be weekly',
      'no update entry for github-actions',
      'npm: the @aws-sdk/* packages must be grouped',
      'npm: the development dependencies must be grouped'
    ])
    expect(() => parseYaml('version: 2\nupdates: [\n')).toThrow()
  })
})

// --- examples/ ---------------------------------------------------------------

const examplesDir = join(repoRoot, 'examples')
const exampleFiles = readdirSync(examplesDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort()
const PUBLISHED_ACTION = /^our-org\/rotate-github-token-aws@/
const PUBLISHED_REUSABLE = /^our-org\/rotate-github-token-aws\/\.github\/workflows\/([^@]+)@/

/**
 * What an example passes that its callee does not declare: the action's
 * inputs (action.yml) for a step that uses it, the reusable workflow's
 * inputs and secrets for a job that calls it; and a required one it leaves out.
 */
function exampleCallProblems(workflow: unknown, actionInputs: Map<string, boolean>): string[] {
  const problems: string[] = []
  for (const [job, definition] of Object.entries(asObject(asObject(workflow).jobs))) {
    const reusable = PUBLISHED_REUSABLE.exec(String(asObject(definition).uses ?? ''))
    if (reusable) {
      const callee = asObject(
        asObject(asObject(parseYaml(read(join(workflowsDir, reusable[1] ?? '')))).on).workflow_call
      )
      for (const kind of ['with', 'secrets'] as const) {
        const declared = asObject(callee[kind === 'with' ? 'inputs' : 'secrets'])
        for (const key of Object.keys(asObject(asObject(definition)[kind]))) {
          if (!(key in declared))
            problems.push(
              `${job}: ${kind}.${key} is not declared by .github/workflows/${reusable[1]}`
            )
        }
      }
    }
    for (const step of asArray(asObject(definition).steps).map(asObject)) {
      if (!PUBLISHED_ACTION.test(String(step.uses ?? ''))) continue
      const given = asObject(step.with)
      for (const key of Object.keys(given)) {
        if (!actionInputs.has(key))
          problems.push(`${job}: with.${key} is not an input of action.yml`)
      }
      for (const [id, required] of actionInputs) {
        if (required && !(id in given))
          problems.push(`${job}: the required input ${id} is not passed`)
      }
    }
  }
  return problems
}

describe('examples/', () => {
  const { action } = parseActionMetadata('action.yml', read(actionPath))
  const actionInputs = new Map(
    (action?.inputs ?? []).map((input) => [input.id, input.required === true] as const)
  )

  it('has the example workflows the README and examples/README.md link', () => {
    expect(exampleFiles).toEqual(
      expect.arrayContaining(['expiry-check.yml', 'rotate-with-approval.yml'])
    )
    const index = read(join(examplesDir, 'README.md'))
    for (const file of exampleFiles) expect(index).toContain(`](${file})`)
  })

  it.each(exampleFiles)('%s passes GitHub’s workflow parser', async (file) => {
    expect(await workflowErrors(file, read(join(examplesDir, file)))).toEqual([])
  })

  it.each(exampleFiles)('%s passes only declared inputs, and every required one', (file) => {
    const workflow = parseYaml(read(join(examplesDir, file))) as unknown
    expect(exampleCallProblems(workflow, actionInputs)).toEqual([])
  })

  it('the example check fails for an undeclared input or a missing token', () => {
    const workflow = {
      jobs: {
        a: { steps: [{ uses: 'our-org/rotate-github-token-aws@v1', with: { tokne: 'x' } }] },
        b: {
          uses: `our-org/rotate-github-token-aws/.github/workflows/${reusableWorkflowFile}@v1`,
          with: { target: '[]' },
          secrets: { token: 'x' }
        }
      }
    }
    expect(exampleCallProblems(workflow, actionInputs)).toEqual([
      'a: with.tokne is not an input of action.yml',
      'a: the required input token is not passed',
      `b: with.target is not declared by .github/workflows/${reusableWorkflowFile}`
    ])
  })
})
