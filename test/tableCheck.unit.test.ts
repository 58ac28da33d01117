import { contributionsTable, scoresTable } from '../src/adapters/tables'
import { tableMismatch } from '../src/runtime/tableCheck'

describe('checking a table against the view definition', () => {
  it('finds nothing wrong with a table made from the definition, even with an index of its own', () => {
    const extra = {
      IndexName: 'Theirs',
      KeySchema: [{ AttributeName: 'brand', KeyType: 'HASH' as const }],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    }
    const table = {
      ...contributionsTable,
      AttributeDefinitions: [
        ...(contributionsTable.AttributeDefinitions ?? []),
        { AttributeName: 'brand', AttributeType: 'S' as const },
      ],
      GlobalSecondaryIndexes: [...(contributionsTable.GlobalSecondaryIndexes ?? []), extra],
    }
    expect(tableMismatch('C', table, contributionsTable)).toBeUndefined()
  })

  it.each([
    [
      'a score typed as text',
      {
        ...scoresTable,
        AttributeDefinitions: [
          { AttributeName: 'userId', AttributeType: 'S' as const },
          { AttributeName: 'role', AttributeType: 'S' as const },
          { AttributeName: 'leaderboardKey', AttributeType: 'S' as const },
          { AttributeName: 'score', AttributeType: 'S' as const },
        ],
      },
      'table S has the key attribute types (leaderboardKey:S, role:S, score:S, userId:S), the view needs (leaderboardKey:S, role:S, score:N, userId:S)',
    ],
    [
      'a leaderboard keyed on another attribute',
      {
        ...scoresTable,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'Leaderboard',
            KeySchema: [{ AttributeName: 'score', KeyType: 'HASH' as const }],
            Projection: { ProjectionType: 'ALL' as const },
          },
        ],
      },
      'table S has the indexes (Leaderboard (score:HASH)), the view needs (Leaderboard (leaderboardKey:HASH, score:RANGE))',
    ],
    [
      'the leaderboard of before, one partition per role',
      {
        ...scoresTable,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'ScoresByRole',
            KeySchema: [
              { AttributeName: 'role', KeyType: 'HASH' as const },
              { AttributeName: 'score', KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: 'ALL' as const },
          },
        ],
      },
      'table S has the indexes (), the view needs (Leaderboard (leaderboardKey:HASH, score:RANGE))',
    ],
    [
      'a key without the role',
      { ...scoresTable, KeySchema: [{ AttributeName: 'userId', KeyType: 'HASH' as const }] },
      'table S has the key (userId:HASH), the view needs (userId:HASH, role:RANGE)',
    ],
  ])('names what is wrong with %s', (_, table, problem) => {
    expect(tableMismatch('S', table, scoresTable)).toBe(problem)
  })
})
