import { describe, expect, test } from 'vitest';
import { emailDomainAllowed, groupsAllowed } from '../../../src/proxy/authorize.js';

describe('--email-domain', () => {
  test('exact domain after the single @, case-insensitive', () => {
    expect(emailDomainAllowed('bob@example.com', ['example.com'])).toBe(true);
    expect(emailDomainAllowed('Bob@Example.COM', ['EXAMPLE.com'])).toBe(true);
    expect(emailDomainAllowed('bob@evil.com', ['example.com'])).toBe(false);
    expect(emailDomainAllowed('bob@sub.example.com', ['example.com'])).toBe(false);
    expect(emailDomainAllowed('bob@notexample.com', ['example.com'])).toBe(false);
  });

  test('.sub and *.sub forms allow subdomains only (a plain suffix test)', () => {
    for (const form of ['.example.com', '*.example.com']) {
      expect(emailDomainAllowed('bob@a.example.com', [form])).toBe(true);
      expect(emailDomainAllowed('bob@a.b.example.com', [form])).toBe(true);
      expect(emailDomainAllowed('bob@example.com', [form])).toBe(false);
      expect(emailDomainAllowed('bob@evilexample.com', [form])).toBe(false);
    }
  });

  test('an address without exactly one @ is invalid', () => {
    expect(emailDomainAllowed('bob', ['example.com'])).toBe(false);
    expect(emailDomainAllowed('a@b@example.com', ['example.com'])).toBe(false);
    expect(emailDomainAllowed('a@b@x.example.com', ['.example.com'])).toBe(false);
  });

  test('* allows everything but an empty e-mail', () => {
    expect(emailDomainAllowed('bob@anything.org', ['*'])).toBe(true);
    expect(emailDomainAllowed('a@b@c', ['example.com', '*'])).toBe(true);
    expect(emailDomainAllowed('', ['*'])).toBe(false);
  });

  test('no domains allows nobody', () => {
    expect(emailDomainAllowed('bob@example.com', [])).toBe(false);
  });
});

describe('--allowed-group', () => {
  test('no allowed groups, or only empty strings, allows everyone', () => {
    expect(groupsAllowed([], [])).toBe(true);
    expect(groupsAllowed(['x'], [''])).toBe(true);
  });

  test('any overlap allows; exact, case-sensitive names', () => {
    expect(groupsAllowed(['devs', 'admins'], ['admins'])).toBe(true);
    expect(groupsAllowed(['Admins'], ['admins'])).toBe(false);
    expect(groupsAllowed([], ['admins'])).toBe(false);
  });

  test('an empty session group does not match an empty allowed entry', () => {
    expect(groupsAllowed([''], ['', 'admins'])).toBe(false);
  });
});
