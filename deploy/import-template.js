#!/usr/bin/env node
// Re-adopting a stage's retained tables: CloudFormation's IMPORT change set takes a template
// that holds only the resources it imports (each with a DeletionPolicy), and a list naming
// each by its identifier. This writes both from a packaged template:
//
//   npm run package -- --stage prod      (or osls package --stage prod --package DIR)
//   node deploy/import-template.js .serverless/cloudformation-template-update-stack.json out/
//
// then, with the stack gone (osls remove kept the tables):
//
//   aws cloudformation create-change-set --stack-name winner-view-prod \
//     --change-set-name adopt-tables --change-set-type IMPORT \
//     --template-body file://out/import-template.json \
//     --resources-to-import file://out/resources-to-import.json
//   aws cloudformation wait change-set-create-complete --stack-name winner-view-prod --change-set-name adopt-tables
//   aws cloudformation execute-change-set --stack-name winner-view-prod --change-set-name adopt-tables
//   aws cloudformation wait stack-import-complete --stack-name winner-view-prod
//   npx osls deploy --stage prod          (adds everything else around the tables)
const { mkdir, readFile, writeFile } = require('node:fs/promises')
const { join } = require('node:path')

/** The packaged template's tables alone, kept on delete, and the list that names them. */
const importOf = (template) => {
  const tables = Object.entries(template.Resources).filter(
    ([, resource]) => resource.Type === 'AWS::DynamoDB::Table',
  )
  return {
    template: {
      AWSTemplateFormatVersion: '2010-09-09',
      Description: 'winner-view: the retained tables, imported before the stack is deployed again',
      Resources: Object.fromEntries(
        tables.map(([id, resource]) => [
          id,
          { ...resource, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
        ]),
      ),
    },
    resourcesToImport: tables.map(([id, resource]) => ({
      ResourceType: 'AWS::DynamoDB::Table',
      LogicalResourceId: id,
      ResourceIdentifier: { TableName: resource.Properties.TableName },
    })),
  }
}

const main = async ([packaged, out]) => {
  if (packaged === undefined || out === undefined)
    throw new Error('usage: node deploy/import-template.js <packaged template.json> <out folder>')
  const { template, resourcesToImport } = importOf(JSON.parse(await readFile(packaged, 'utf8')))
  await mkdir(out, { recursive: true })
  await writeFile(join(out, 'import-template.json'), `${JSON.stringify(template, null, 2)}\n`)
  await writeFile(
    join(out, 'resources-to-import.json'),
    `${JSON.stringify(resourcesToImport, null, 2)}\n`,
  )
  console.log(`wrote ${out}: ${resourcesToImport.length} tables to import`)
}

if (require.main === module)
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`import-template: ${error.message}\n`)
    process.exitCode = 1
  })

module.exports = { importOf }
