import { lambdaHandlerOf } from '../runtime/lambda'
import { categorySalesView } from '../views/categorySales'

/** The category sales view's Lambda entry: its own function, mapping, position and tables. */
export const handler = lambdaHandlerOf(categorySalesView)
