const { CreateTableCommand, UpdateTimeToLiveCommand } = require('@aws-sdk/client-dynamodb');

/**
 * CreateTable input from a table's CloudFormation properties. Properties DynamoDB Local has no use for
 * (point-in-time recovery, deletion protection, encryption, tags) are left out.
 * @param {import('../stack/cloudformation-local').LocalTable} table
 * @returns {import('@aws-sdk/client-dynamodb').CreateTableCommandInput}
 */
function createTableInput({ name, properties }) {
  const billingMode = properties.BillingMode ?? 'PROVISIONED';
  /** @type {import('@aws-sdk/client-dynamodb').CreateTableCommandInput} */
  const input = {
    TableName: name,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: billingMode,
  };
  const throughput = (/** @type {any} */ declared) =>
    billingMode === 'PROVISIONED'
      ? {
          ReadCapacityUnits: Number(declared?.ReadCapacityUnits ?? 5),
          WriteCapacityUnits: Number(declared?.WriteCapacityUnits ?? 5),
        }
      : undefined;
  input.ProvisionedThroughput = throughput(properties.ProvisionedThroughput);
  if (Array.isArray(properties.GlobalSecondaryIndexes)) {
    input.GlobalSecondaryIndexes = properties.GlobalSecondaryIndexes.map(
      (/** @type {any} */ i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
        ProvisionedThroughput: throughput(i.ProvisionedThroughput),
      }),
    );
  }
  if (Array.isArray(properties.LocalSecondaryIndexes)) {
    input.LocalSecondaryIndexes = properties.LocalSecondaryIndexes.map((/** @type {any} */ i) => ({
      IndexName: i.IndexName,
      KeySchema: i.KeySchema,
      Projection: i.Projection,
    }));
  }
  if (properties.StreamSpecification?.StreamViewType) {
    input.StreamSpecification = {
      StreamEnabled: true,
      StreamViewType: properties.StreamSpecification.StreamViewType,
    };
  }
  return input;
}

/**
 * Creates every table (skipping ones that already exist) and applies its TTL specification.
 * @param {import('@aws-sdk/client-dynamodb').DynamoDBClient} client
 * @param {import('../stack/cloudformation-local').LocalTable[]} tables
 * @returns {Promise<void>}
 */
async function createTables(client, tables) {
  // Side by side: each is a round trip or two to DynamoDB Local, and none depends on another.
  await Promise.all(tables.map((table) => createTable(client, table)));
}

/**
 * Creates one table (kept if it exists) and turns its time to live on when the template says so.
 * @param {import('@aws-sdk/client-dynamodb').DynamoDBClient} client
 * @param {import('../stack/cloudformation-local').LocalTable} table
 * @returns {Promise<void>}
 */
async function createTable(client, table) {
  try {
    await client.send(new CreateTableCommand(createTableInput(table)));
  } catch (error) {
    if (/** @type {Error} */ (error).name !== 'ResourceInUseException') {
      const detail = /** @type {Error} */ (error).message;
      throw new Error(`Creating table ${table.name} (${table.logicalId}) failed: ${detail}`, {
        cause: error,
      });
    }
  }
  const ttl = table.properties.TimeToLiveSpecification;
  if (ttl?.AttributeName && String(ttl.Enabled) === 'true') {
    const command = new UpdateTimeToLiveCommand({
      TableName: table.name,
      TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
    });
    await client.send(command).catch((error) => {
      // A table kept from an earlier run already has it.
      if (!/already enabled/i.test(error.message)) throw error;
    });
  }
}

module.exports = { createTables, createTableInput };
