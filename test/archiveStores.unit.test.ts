import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { fileArchive } from '../src/local/fileArchive'
import type { ArchiveStore } from '../src/runtime/archiveHandler'
import type { ArchiveSource } from '../src/runtime/archiveReader'
import { memoryArchive } from '../src/runtime/memoryArchive'
import { s3Archive } from '../src/runtime/s3Archive'

const listed = async (source: ArchiveSource, prefix: string): Promise<string[]> => {
  const keys: string[] = []
  for await (const key of source.list(prefix)) keys.push(key)
  return keys
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text))

describe.each([
  ['in memory', () => memoryArchive()],
  ['in a folder', () => fileArchive(mkdtempSync(join(tmpdir(), 'archive-')))],
])('an archive %s', (_, make: () => ArchiveStore & ArchiveSource) => {
  it('gives back an object as it was written, and the last bytes written to a key', async () => {
    const archive = make()
    await archive.put('s/records/shardId-1/a.jsonl.gz', bytes('first'))
    await archive.put('s/records/shardId-1/a.jsonl.gz', bytes('again'))
    expect(Buffer.from(await archive.get('s/records/shardId-1/a.jsonl.gz')).toString()).toBe(
      'again',
    )
  })

  it('lists the keys under a prefix alone, in text order', async () => {
    const archive = make()
    for (const key of [
      's/records/shardId-1/057.1-057.2',
      's/records/shardId-1/056.9-057.1',
      's/records/shardId-10/056.1-056.1',
      's/shards/shardId-1.json',
      't/records/shardId-1/056.1-056.1',
    ]) {
      await archive.put(key, bytes(key))
    }
    expect(await listed(archive, 's/records/shardId-1/')).toEqual([
      's/records/shardId-1/056.9-057.1',
      's/records/shardId-1/057.1-057.2',
    ])
    expect(await listed(archive, 's/shards/')).toEqual(['s/shards/shardId-1.json'])
    expect(await listed(archive, 'u/')).toEqual([])
  })

  it('fails to get a key never written', async () => {
    await expect(make().get('nothing/here')).rejects.toThrow()
  })
})

describe('the folder archive', () => {
  it('never lists an object still being written', async () => {
    const root = mkdtempSync(join(tmpdir(), 'archive-'))
    const archive = fileArchive(root)
    await archive.put('s/shards/shardId-1.json', bytes('{}'))
    writeFileSync(join(root, 's', 'shards', 'shardId-2.json.partial-1-x'), '{')
    expect(await listed(archive, 's/shards/')).toEqual(['s/shards/shardId-1.json'])
  })
})

/** An S3 client that answers from a script and keeps the commands it was sent. */
const scriptedS3 = (answers: ReadonlyArray<unknown>) => {
  const sent: unknown[] = []
  const queue = [...answers]
  // A real client (the paginator checks its class) whose sending is the script.
  const client = new S3Client({ region: 'us-east-1' })
  client.send = (async (command: { readonly input: object }) => {
    // The input as sent: the paginator reuses its input object for the next page.
    sent.push(
      Object.assign(Object.create(Object.getPrototypeOf(command)), command, {
        input: { ...command.input },
      }),
    )
    const answer = queue.shift()
    if (answer instanceof Error) throw answer
    return answer
  }) as S3Client['send']
  return { client, sent }
}

describe('the S3 archive', () => {
  it('writes an object whole with its content type', async () => {
    const { client, sent } = scriptedS3([{}, {}])
    const archive = s3Archive(client, 'bucket-1')
    await archive.put('s/records/shardId-1/k.jsonl.gz', bytes('gz'))
    await archive.put('s/shards/shardId-1.json', bytes('{}'))
    expect(sent.map((c) => [c instanceof PutObjectCommand, (c as PutObjectCommand).input])).toEqual(
      [
        [
          true,
          {
            Bucket: 'bucket-1',
            Key: 's/records/shardId-1/k.jsonl.gz',
            Body: bytes('gz'),
            ContentType: 'application/gzip',
          },
        ],
        [
          true,
          {
            Bucket: 'bucket-1',
            Key: 's/shards/shardId-1.json',
            Body: bytes('{}'),
            ContentType: 'application/json',
          },
        ],
      ],
    )
  })

  it('reads an object body as bytes, and fails on an answer without one', async () => {
    const { client, sent } = scriptedS3([
      { Body: { transformToByteArray: async () => bytes('x') } },
      {},
    ])
    const archive = s3Archive(client, 'bucket-1')
    expect(await archive.get('k')).toEqual(bytes('x'))
    expect((sent[0] as GetObjectCommand).input).toEqual({ Bucket: 'bucket-1', Key: 'k' })
    expect(sent[0]).toBeInstanceOf(GetObjectCommand)
    await expect(archive.get('k2')).rejects.toThrow('s3://bucket-1/k2: no body')
  })

  it('names the object or the listing a refused read was of', async () => {
    const denied = () => Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
    const { client } = scriptedS3([denied(), denied()])
    const archive = s3Archive(client, 'bucket-1')
    await expect(archive.get('k')).rejects.toThrow(/^s3:\/\/bucket-1\/k: Access Denied$/)
    await expect(listed(archive, 'p/')).rejects.toThrow(
      /^listing s3:\/\/bucket-1\/p\/: Access Denied$/,
    )
  })

  it('lists every page of keys under a prefix, in the order S3 gives them', async () => {
    const { client, sent } = scriptedS3([
      {
        Contents: [{ Key: 'p/a' }, { Key: 'p/b' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      },
      { Contents: [{ Key: 'p/c' }], IsTruncated: false },
    ])
    expect(await listed(s3Archive(client, 'bucket-1'), 'p/')).toEqual(['p/a', 'p/b', 'p/c'])
    expect(
      sent.map((c) => c instanceof ListObjectsV2Command && (c as ListObjectsV2Command).input),
    ).toEqual([
      { Bucket: 'bucket-1', Prefix: 'p/' },
      { Bucket: 'bucket-1', Prefix: 'p/', ContinuationToken: 't1' },
    ])
  })
})
