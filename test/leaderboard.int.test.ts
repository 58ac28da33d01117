import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb'
import type { TableNames } from '../src/adapters/tables'
import { leaderboardKeyOf } from '../src/domain/scores'
import { leaderboard } from '../src/local/viewReader'
import { freshTables, testClient } from './support/dynamo'

// The leaderboard's documented order is score descending, then user id: the Leaderboard
// index orders equal scores in no set way, so ties that cross the cut must still come out
// in that order, on DynamoDB Local.

jest.setTimeout(60_000)

const client = testClient()
afterAll(() => client.destroy())

/** Scores items as the winner view writes them: creator role, in their leaderboard partition. */
const putScores = async (names: TableNames, scores: ReadonlyArray<[string, number]>) => {
  for (let at = 0; at < scores.length; at += 25) {
    const items = scores.slice(at, at + 25).map(([userId, score]) => ({
      PutRequest: {
        Item: {
          userId,
          role: 'creator',
          score,
          products: 1,
          leaderboardKey: leaderboardKeyOf('creator', userId),
        },
      },
    }))
    await client.send(new BatchWriteCommand({ RequestItems: { [names.scores]: items } }))
  }
}

/** Users whose Scores items share one leaderboard partition, as many as asked. */
const usersInOnePartition = (count: number): string[] => {
  const users: string[] = []
  for (let n = 0; users.length < count; n += 1) {
    const userId = `user-${String(n).padStart(3, '0')}`
    if (leaderboardKeyOf('creator', userId) === 'creator#0') users.push(userId)
  }
  return users
}

const top = async (names: TableNames, limit: number) =>
  (await leaderboard(client, names, 'creator', limit)).map((e) => [e.userId, e.score])

describe('winner-view top', () => {
  it('keeps the users first by id among those tied at the cut, in one partition', async () => {
    const names = await freshTables()
    const [leader = '', ...tied] = usersInOnePartition(7)
    await putScores(names, [[leader, 9], ...tied.map((u): [string, number] => [u, 5])])
    expect(await top(names, 3)).toEqual([
      [leader, 9],
      [tied[0], 5],
      [tied[1], 5],
    ])
  })

  it('keeps the order by id for ties spread over every partition', async () => {
    const names = await freshTables()
    const users = Array.from({ length: 40 }, (_, n) => `u${String(n).padStart(2, '0')}`)
    await putScores(names, [['zed', 7], ...users.map((u): [string, number] => [u, 2])])
    expect(await top(names, 4)).toEqual([
      ['zed', 7],
      ['u00', 2],
      ['u01', 2],
      ['u02', 2],
    ])
  })

  it('returns every user when there are fewer than the limit', async () => {
    const names = await freshTables()
    await putScores(names, [
      ['b', 1],
      ['a', 1],
      ['c', 3],
    ])
    expect(await top(names, 10)).toEqual([
      ['c', 3],
      ['a', 1],
      ['b', 1],
    ])
  })
})
