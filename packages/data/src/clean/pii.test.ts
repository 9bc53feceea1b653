import { describe, expect, it } from 'vitest';
import type { PiiType } from '../index.js';
import { luhnValid, scrubPii } from '../index.js';

const none = { email: 0, url: 0, phone: 0, ip: 0, card: 0 };

/** The values found, by kind, in text order. */
function found(text: string, types?: PiiType[]): [PiiType, string][] {
  return scrubPii(text, types ? { types } : {}).matches.map((m) => [m.type, m.value]);
}

describe('scrubPii: e-mail', () => {
  it('finds an English address with exact offsets', () => {
    const result = scrubPii('Mail anna@example.se now');
    expect(result.text).toBe('Mail [EMAIL] now');
    expect(result.matches).toEqual([
      { type: 'email', start: 5, end: 20, value: 'anna@example.se' },
    ]);
    expect(result.counts).toEqual({ ...none, email: 1 });
  });

  it('finds Swedish addresses with å/ä/ö next to punctuation', () => {
    const result = scrubPii('Skriv till åsa.öberg@företag.se.');
    expect(result.text).toBe('Skriv till [EMAIL].');
    expect(result.matches).toEqual([
      { type: 'email', start: 11, end: 31, value: 'åsa.öberg@företag.se' },
    ]);
    // A `\b`-based pattern would start after "å"; the whole local part belongs to the address.
    expect(found('Kontakt:åsa@företag.se')).toEqual([['email', 'åsa@företag.se']]);
  });

  it('finds an address in Amharic text', () => {
    const result = scrubPii('ኢሜይሌ abebe@example.et ነው።');
    expect(result.text).toBe('ኢሜይሌ [EMAIL] ነው።');
    expect(result.matches).toEqual([
      { type: 'email', start: 5, end: 21, value: 'abebe@example.et' },
    ]);
  });
});

describe('scrubPii: url', () => {
  it('finds a URL and leaves trailing punctuation out', () => {
    const result = scrubPii('See https://example.com/path?q=1, then');
    expect(result.text).toBe('See [URL], then');
    expect(result.matches).toEqual([
      { type: 'url', start: 4, end: 32, value: 'https://example.com/path?q=1' },
    ]);
    expect(scrubPii('(www.example.se)').text).toBe('([URL])');
    expect(found('https://en.wikipedia.org/wiki/Foo_(bar)')).toEqual([
      ['url', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
    ]);
  });

  it('stops at Ethiopic punctuation', () => {
    expect(scrubPii('ድረ-ገጽ https://example.et/ገጽ፣ ይጎብኙ').text).toBe('ድረ-ገጽ [URL]፣ ይጎብኙ');
    expect(scrubPii('ጎብኙ www.example.et።').text).toBe('ጎብኙ [URL]።');
  });

  it('counts an address inside a URL once, as the URL', () => {
    const result = scrubPii('Go to https://user@example.com/x?mail=anna@example.se now');
    expect(result.text).toBe('Go to [URL] now');
    expect(result.counts).toEqual({ ...none, url: 1 });
  });

  it('does not take bare domains or file names as URLs', () => {
    expect(scrubPii('see example.com and notes.txt').text).toBe('see example.com and notes.txt');
  });
});

describe('scrubPii: phone', () => {
  it('finds a phone in Amharic text with exact offsets', () => {
    const result = scrubPii('ስልኬ +251 911 234 567 ነው');
    expect(result.text).toBe('ስልኬ [PHONE] ነው');
    expect(result.matches).toEqual([
      { type: 'phone', start: 4, end: 20, value: '+251 911 234 567' },
    ]);
  });

  it('finds phones in Swedish text with exact offsets', () => {
    const result = scrubPii('Ring mig på 070-123 45 67 eller +46 8 123 456 78.');
    expect(result.text).toBe('Ring mig på [PHONE] eller [PHONE].');
    expect(result.matches).toEqual([
      { type: 'phone', start: 12, end: 25, value: '070-123 45 67' },
      { type: 'phone', start: 32, end: 48, value: '+46 8 123 456 78' },
    ]);
    expect(result.counts).toEqual({ ...none, phone: 2 });
  });

  it('finds international and national formats', () => {
    for (const phone of [
      '+46 70 123 45 67',
      '+46 8 123 456 78',
      '0046 70-123 45 67',
      '+46 (0)70 123 45 67',
      '+46701234567',
      '+251 91 123 4567',
      '+251-911-234-567',
      '(555) 123-4567',
      '+1 555 123 4567',
      '+1 (555) 123-4567',
      '555-123-4567',
      '555.123.4567',
      '1-555-123-4567',
      '070-123 45 67',
      '08-123 456 78',
      '0911 234 567',
      '0911234567',
      '0701234567',
    ]) {
      expect(scrubPii(`Tel: ${phone}.`).text, phone).toBe('Tel: [PHONE].');
    }
  });

  it('lets an Amharic prefix touch the number but not a Latin letter or digit', () => {
    expect(scrubPii('በ0911 234 567 ይደውሉ').text).toBe('በ[PHONE] ይደውሉ');
    expect(scrubPii('SKU0701234567').text).toBe('SKU0701234567');
    expect(scrubPii('0701234567abc').text).toBe('0701234567abc');
  });

  it('does not take dates, times, versions, amounts or short numbers as phones', () => {
    for (const text of [
      '2024-01-15',
      'den 15.01.2024',
      '01.02.2024 12 people came',
      '2024/01/15',
      'at 10:30',
      '2024-01-15T10:30:00Z',
      'released 2023-12-01 14:05:09',
      'version 1.2.3',
      'version 10.15.7.2024',
      'costs 1 000 000 kr',
      'pop. 1,000,000',
      '12 345,50 kr',
      'code 12345',
      'pi 3.14159',
      '1 2 3 4 5 6 7',
      '0 1 2 3 4 5 6',
      'org.nr 556012-5790',
      'numbers 5551234567',
      '12345678901234567',
    ]) {
      expect(scrubPii(text, { types: ['phone'] }).text, text).toBe(text);
    }
  });

  it('separates a phone from numbers next to it', () => {
    expect(found('in 2024 555 123 4567 calls')).toEqual([['phone', '555 123 4567']]);
    expect(found('10:30 070-123 45 67')).toEqual([['phone', '070-123 45 67']]);
    expect(found('15.01.2024 070-123 45 67')).toEqual([['phone', '070-123 45 67']]);
  });
});

describe('scrubPii: ip', () => {
  it('finds IPv4 with exact offsets and rejects octets over 255', () => {
    const result = scrubPii('Server 192.168.1.1 och 999.1.1.1');
    expect(result.text).toBe('Server [IP] och 999.1.1.1');
    expect(result.matches).toEqual([{ type: 'ip', start: 7, end: 18, value: '192.168.1.1' }]);
    expect(scrubPii('256.1.1.1 and 1.2.3.256').text).toBe('256.1.1.1 and 1.2.3.256');
    expect(scrubPii('01.02.03.04').text).toBe('01.02.03.04');
    expect(scrubPii('host 10.0.0.255:8080.').text).toBe('host [IP]:8080.');
  });

  it('finds IPv6 full, compressed and IPv4-mapped forms', () => {
    expect(
      found(
        'a 2001:0db8:85a3:0000:0000:8a2e:0370:7334 b 2001:db8::1 c ::1 d fe80::1ff:fe23:4567:890a. e ::ffff:192.0.2.1',
      ),
    ).toEqual([
      ['ip', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
      ['ip', '2001:db8::1'],
      ['ip', '::1'],
      ['ip', 'fe80::1ff:fe23:4567:890a'],
      ['ip', '::ffff:192.0.2.1'],
    ]);
    expect(scrubPii('IP:2001:db8::1').text).toBe('IP:[IP]');
  });

  it('does not take times, MAC addresses or C++ scopes as IPv6', () => {
    const text = 'std::vector a::b 12:30:45 00:1A:2B:3C:4D:5E :: 1:2:3';
    expect(scrubPii(text).text).toBe(text);
  });
});

describe('scrubPii: card', () => {
  it('checks Luhn against textbook values', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('12a4')).toBe(false);
  });

  it('replaces Luhn-valid test cards and keeps a Luhn-invalid number', () => {
    const text =
      'Kort 4111 1111 1111 1111, 5500-0000-0000-0004 och 378282246310005; fel 4111 1111 1111 1112.';
    const result = scrubPii(text);
    expect(result.text).toBe('Kort [CARD], [CARD] och [CARD]; fel 4111 1111 1111 1112.');
    expect(result.matches).toEqual([
      { type: 'card', start: 5, end: 24, value: '4111 1111 1111 1111' },
      { type: 'card', start: 26, end: 45, value: '5500-0000-0000-0004' },
      { type: 'card', start: 50, end: 65, value: '378282246310005' },
    ]);
    expect(result.counts).toEqual({ ...none, card: 3 });
  });

  it('finds a card in Amharic text and takes Amex grouping', () => {
    expect(scrubPii('ካርድ 3782 822463 10005 ነው።').text).toBe('ካርድ [CARD] ነው።');
  });

  it('does not take a card number as a phone, or mixed separators as a card', () => {
    expect(scrubPii('378282246310005').counts).toEqual({ ...none, card: 1 });
    expect(scrubPii('4111 1111-1111 1111').text).toBe('4111 1111-1111 1111');
    expect(scrubPii('1234 5678 1234 5678').text).toBe('1234 5678 1234 5678');
  });

  it('finds a card among other numbers', () => {
    expect(scrubPii('Order 12 4111 1111 1111 1111 12/25').text).toBe('Order 12 [CARD] 12/25');
  });
});

describe('scrubPii: options', () => {
  const text = 'anna@example.se 070-123 45 67';

  it('scrubs only the chosen types', () => {
    const result = scrubPii(text, { types: ['email'] });
    expect(result.text).toBe('[EMAIL] 070-123 45 67');
    expect(result.counts).toEqual({ ...none, email: 1 });
  });

  it('uses custom replacement tokens', () => {
    expect(scrubPii(text, { replacements: { phone: '<tel>' } }).text).toBe('[EMAIL] <tel>');
  });

  it('gives the same result on every run (overlaps resolved deterministically)', () => {
    const mixed = 'http://192.168.1.1/admin och 4111 1111 1111 1111 och ring 070-123 45 67';
    const first = scrubPii(mixed);
    expect(first.text).toBe('[URL] och [CARD] och ring [PHONE]');
    expect(scrubPii(mixed)).toEqual(first);
  });

  it('rejects bad options', () => {
    expect(() => scrubPii(text, { types: ['ssn' as PiiType] })).toThrowError(/unknown kind "ssn"/);
    expect(() => scrubPii(text, { replacements: { email: 5 as unknown as string } })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => scrubPii(text, { replacements: { name: 'x' } as never })).toThrowError(/"name"/);
    expect(() => scrubPii(null as unknown as string)).toThrowError(/expects a string/);
  });
});
