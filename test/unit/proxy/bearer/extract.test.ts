import { describe, expect, test } from 'vitest';
import { decodeStdBase64, extractBearer } from '../../../../src/proxy/bearer/extract.js';

// The table of oauth2-proxy's jwt_session_test.go findTokenFromHeader (§A3 "Pipeline").
const validToken = 'eyJfoobar.eyJfoobar.12345asdf';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('extractBearer', () => {
  test.each([
    ['Bearer', { error: 'invalid authorization header: "Bearer"' }],
    ['Bearer abc def', { error: 'invalid authorization header: "Bearer abc def"' }],
    ['Bearer  ' + validToken, { error: `invalid authorization header: "Bearer  ${validToken}"` }],
    ['Bearer\t"x"', { error: 'invalid authorization header: "Bearer\\t\\"x\\""' }],
    ['Bearer abcdef', { error: 'no valid bearer token found in authorization header' }],
    [`Bearer ${validToken}`, { token: validToken }],
    [`bearer ${validToken}`, { error: 'no valid bearer token found in authorization header' }],
    [`Something ${validToken}`, { error: 'no valid bearer token found in authorization header' }],
    ['Basic invalid-base64', { error: 'invalid basic auth token: illegal base64 data at input byte 7' }],
    ['Basic ZXlKZm9vYmFyLmV5SmZvb2Jhci4xMjM0NWFzZGY6', { token: validToken }],
    ['Basic ZXlKZm9vYmFyLmV5SmZvb2Jhci4xMjM0NWFzZGY6eC1vYXV0aC1iYXNpYw==', { token: validToken }],
    ['Basic YW55LXVzZXI6ZXlKZm9vYmFyLmV5SmZvb2Jhci4xMjM0NWFzZGY=', { token: validToken }],
    [
      'Basic YW55LXVzZXI6YW55LXBhc3N3b3Jk',
      { error: 'invalid basic auth token found in authorization header' },
    ],
    ['Basic YW55LXVzZXIgYW55LXBhc3N3b3Jk', { error: 'invalid format: "any-user any-password"' }],
    [
      `Basic ${b64(`${validToken}:secret`)}`,
      { error: 'invalid basic auth token found in authorization header' },
    ],
  ])('%s', (header, expected) => {
    expect(extractBearer(header)).toEqual(expected);
  });
});

describe("decodeStdBase64 reports Go's CorruptInputError offsets", () => {
  test.each([
    ['YWJj', 'abc'],
    ['YWI=', 'ab'],
    ['YQ==', 'a'],
  ])('%s decodes', (input, text) => {
    expect((decodeStdBase64(input) as Buffer).toString()).toBe(text);
  });
  test.each([
    ['YWI', 0], // missing padding: the start of the short quantum
    ['YQ', 0],
    ['YWJjZ', 4],
    ['YQ=', 3], // not enough padding
    ['Y===', 1], // padding too early
    ['YWI=YWJj', 4], // trailing garbage after padding
    ['YW*j', 2],
  ])('%s → byte %d', (input, offset) => {
    expect(decodeStdBase64(input)).toBe(offset);
  });
});
