process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
// Three tiers, one project each, selected by file suffix (see STYLE.md).
const transform = { '^.+\\.ts$': 'ts-jest' }
const project = (name, extra = {}) => ({
  displayName: name,
  testEnvironment: 'node',
  transform,
  testMatch: [`<rootDir>/test/**/*.${name}.test.ts`],
  ...extra,
})

module.exports = {
  projects: [
    project('unit'),
    project('property'),
    project('int', {
      globalSetup: '<rootDir>/test/support/startEmulators.ts',
      globalTeardown: '<rootDir>/test/support/stopEmulators.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/dropTables.ts'],
    }),
  ],
}
