import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import type { ArchiveStore } from '../runtime/archiveHandler'
import type { ArchiveSource } from '../runtime/archiveReader'

/** Every file under `dir`, as keys relative to `root` with `/` between parts. */
async function* filesUnder(root: string, dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* filesUnder(root, path)
    else if (!entry.name.includes('.partial-')) yield relative(root, path).split(sep).join('/')
  }
}

/**
 * The local stack's archive: a folder in which an object's key is its path (under the
 * stack's home, beside the emulators' data). An object is written to a side file and
 * renamed, so a reader sees it whole or not at all, as with S3; keys list in text order.
 */
export const fileArchive = (root: string): ArchiveStore & ArchiveSource => ({
  put: async (key, body) => {
    const path = join(root, ...key.split('/'))
    await mkdir(dirname(path), { recursive: true })
    // A side file of this write alone: two writers of one key never share one.
    const side = `${path}.partial-${process.pid}-${randomUUID()}`
    await writeFile(side, body)
    await rename(side, path)
  },
  get: async (key) => new Uint8Array(await readFile(join(root, ...key.split('/')))),
  list: async function* (prefix) {
    const at = prefix.lastIndexOf('/')
    const folder = join(root, ...prefix.slice(0, at + 1).split('/'))
    const keys: string[] = []
    for await (const key of filesUnder(root, folder)) if (key.startsWith(prefix)) keys.push(key)
    yield* keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  },
})
