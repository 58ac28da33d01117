import { dropCreatedTables } from './dynamo'

// Every integration test file leaves DynamoDB Local as it found it.
afterAll(dropCreatedTables)
