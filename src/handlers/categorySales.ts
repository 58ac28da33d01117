import { lambdaHandlerOf, totalsHandlerOf } from '../runtime/lambda'
import { categorySalesView } from '../views/categorySales'

/** The category sales view's Lambda entry: its own function, mapping, position and tables. */
export const handler = lambdaHandlerOf(categorySalesView)

/** Its totals stage: a batch of its partials' stream in, CategorySales moved, one EMF line. */
export const totals = totalsHandlerOf(categorySalesView)
