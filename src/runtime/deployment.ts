import { SERVICE } from './tables'

/**
 * Each view's function in serverless.yml, by the view's name (its key there): the
 * deployment (deploy/views.js), `status --aws` and `rebuild --aws` name it alike.
 */
export const FUNCTION_KEYS: Readonly<Record<string, string>> = {
  'winner-view': 'winner',
  'category-sales': 'categorySales',
}

/** A view's function key, or an error naming the view: a deployment never guesses it. */
export const functionKeyOf = (viewName: string): string => {
  const key = FUNCTION_KEYS[viewName]
  if (key === undefined) throw new Error(`the view ${viewName} has no function in serverless.yml`)
  return key
}

/** A function's name as the framework deploys it: `winner-view-<stage>-<key>`. */
export const functionNameOf = (stage: string, functionKey: string): string =>
  `${SERVICE}-${stage}-${functionKey}`
