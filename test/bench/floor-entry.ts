/**
 * The cold-start floor: the least a Lambda entry of this stack can be — Hono behind the Lambda
 * adapter and a DynamoDB client, bundled exactly as the real entries are (cdk/build.ts) — whose one
 * route answers with one GetItem. No entry that reads DynamoDB through Hono starts faster.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

const client = new DynamoDBClient({});
const app = new Hono();
app.get('/floor/:tenant', async (c) => {
  const { Item } = await client.send(new GetItemCommand({
    TableName: process.env.SEALPOST_TABLE, Key: { pk: { S: `TENANT#${c.req.param('tenant')}` }, sk: { S: 'TENANT' } },
  }));
  return c.json({ found: Item !== undefined }, Item ? 200 : 404);
});

export const handler = handle(app);
