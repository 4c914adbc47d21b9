import { describe, expect, test } from 'vitest';
import { dexSubject, parseDexSubject } from '../../src/idp/subject.js';

describe('dexSubject', () => {
  test('encodes user id and connector as Dex does (research §B3 worked example)', () => {
    expect(dexSubject('08a8684b-db88-4b73-90a9-3cd1661f5466', 'local')).toBe(
      'CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs',
    );
  });
  test('omits an empty connector id (client_credentials, §B2)', () => {
    expect(dexSubject('mlflow', '')).toBe('CgZtbGZsb3c');
  });
  test('round-trips, including ids longer than 127 bytes', () => {
    const long = 'x'.repeat(300);
    expect(parseDexSubject(dexSubject(long, 'local'))).toEqual({ userId: long, connectorId: 'local' });
    expect(parseDexSubject('not-a-proto')).toBeUndefined();
  });
});
