import { lambdaHandlerOf, totalsHandlerOf } from '../runtime/lambda'
import { winnerView } from '../views/winner'

/** The winner view's Lambda entry: a Kinesis batch in, the first unfinished record out, one EMF line. */
export const handler = lambdaHandlerOf(winnerView)

/** Its totals stage: a batch of its partials' stream in, Scores moved, one EMF line. */
export const totals = totalsHandlerOf(winnerView)
