/**
 * The shape every view of the retail stream shares: a state per key, an explicit
 * initial state, and a pure, total evolve. The product reducer is one instance.
 */
export interface Projection<State, Event> {
  readonly initial: (key: string) => State
  readonly evolve: (state: State, event: Event) => State
  readonly keyOf: (event: Event) => string
}

/** Folds events into one state, in order. */
export const foldWith = <State, Event>(
  projection: Projection<State, Event>,
  state: State,
  events: ReadonlyArray<Event>,
): State => events.reduce(projection.evolve, state)

/**
 * Folds a log into one state per key, starting from `states` (missing keys start from
 * `initial`). The input map is not changed.
 */
export const foldByKey = <State, Event>(
  projection: Projection<State, Event>,
  events: ReadonlyArray<Event>,
  states: ReadonlyMap<string, State> = new Map(),
): Map<string, State> => {
  const result = new Map(states)
  for (const event of events) {
    const key = projection.keyOf(event)
    result.set(key, projection.evolve(result.get(key) ?? projection.initial(key), event))
  }
  return result
}
