// Mutation runs (Stryker): the unit and property tiers as one flat config. The Stryker
// jest runner installs its coverage-tracking environment at the root only, and Jest
// ignores a root testEnvironment once `projects` is set, so perTest coverage needs this.
const { projects } = require('./jest.config')

const tiers = projects.filter((p) => ['unit', 'property'].includes(p.displayName))

module.exports = {
  testEnvironment: 'node',
  transform: tiers[0].transform,
  testMatch: tiers.flatMap((p) => p.testMatch),
}
