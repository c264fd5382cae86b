import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readDirectRequest } from '../../../../functions/workflow-api/request';
import { MalformedBodyError } from '../../../../shared/errors';

const limits = { maxBodyBytes: 10_000, maxJsonDepth: 16 };
const event = (body: string) =>
  ({ body, isBase64Encoded: false, headers: {} }) as unknown as APIGatewayProxyEventV2;

describe('POST /workflows/{name} body', () => {
  it('keeps numbers a double would change as their text, so the engine receives what was sent', () => {
    const { input } = readDirectRequest(
      event('{"orderId": 9007199254740993, "price": 1.10, "count": 2}'),
      limits,
    );
    expect(JSON.stringify(input)).toBe('{"orderId":9007199254740993,"price":1.10,"count":2}');
    expect(input.count).toBe(2);
  });

  it('refuses a body that is a bare number, even one kept as its text', () => {
    expect(() => readDirectRequest(event('9007199254740993'), limits)).toThrow(MalformedBodyError);
    expect(() => readDirectRequest(event('{"input": 9007199254740993}'), limits)).toThrow(
      MalformedBodyError,
    );
  });
});
