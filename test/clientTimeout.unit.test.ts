import { createServer, type Server, type Socket } from 'node:net'
import { GetItemCommand } from '@aws-sdk/client-dynamodb'
import { CLIENT_RETRY, longestCallMs } from '../src/runtime/clientRetry'
import { makeDynamoClient } from '../src/runtime/dynamoStore'
import { DEFAULT_RESERVE_MS } from '../src/runtime/handler'

// A DynamoDB endpoint that accepts connections and never answers: the client must give
// up on each attempt after its request timeout, retry, and then fail, not hang.

/** A server on loopback that reads requests and answers none; it counts them. */
const silentServer = async () => {
  const sockets = new Set<Socket>()
  let requests = 0
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', (chunk) => {
      if (chunk.toString('latin1').startsWith('POST ')) requests += 1
    })
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

const quick = {
  maxAttempts: 3,
  requestTimeoutMs: 300,
  connectionTimeoutMs: 200,
  socketTimeoutMs: 300,
  backoffBoundMs: 3_000,
}

describe('a DynamoDB client whose endpoint never answers', () => {
  it('cuts each attempt off at its request timeout, tries three times, then fails', async () => {
    const server = await silentServer()
    const client = makeDynamoClient(
      {
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      },
      quick,
    )
    const started = Date.now()
    const call = client.send(
      new GetItemCommand({ TableName: 't', Key: { productId: { S: 'p1' } } }),
    )
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' })
    const elapsed = Date.now() - started
    expect(server.requests()).toBe(3)
    // Three attempts of 300 ms and the SDK's waits: well under a second and a half.
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(longestCallMs(quick))
    client.destroy()
    await server.close()
  })
})

describe('the time reserve', () => {
  it('leaves room for one call at the SDK’s worst: 3 attempts of 5 s, its waits, and the log line', () => {
    expect(CLIENT_RETRY).toMatchObject({ maxAttempts: 3, requestTimeoutMs: 5_000 })
    expect(longestCallMs(CLIENT_RETRY)).toBe(18_000)
    expect(DEFAULT_RESERVE_MS).toBe(19_000)
  })
})
