import type { ArchiveStore } from './archiveHandler'
import type { ArchiveSource } from './archiveReader'

/** An object store in memory, listing in text order as S3 does: for tests and the benchmark. */
export const memoryArchive = (): ArchiveStore &
  ArchiveSource & { readonly objects: Map<string, Uint8Array> } => {
  const objects = new Map<string, Uint8Array>()
  return {
    objects,
    put: async (key, body) => {
      objects.set(key, body)
    },
    get: async (key) => {
      const body = objects.get(key)
      if (body === undefined) throw new Error(`no object ${key}`)
      return body
    },
    list: async function* (prefix) {
      const keys = [...objects.keys()].filter((key) => key.startsWith(prefix))
      yield* keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    },
  }
}
