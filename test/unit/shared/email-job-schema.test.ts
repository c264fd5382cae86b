import {
  emailJobFingerprint,
  isEmailAddress,
  parseEmailJob,
  recipientsOf,
} from '../../../shared/messages/email-job-schema';
import type { EmailJob } from '../../../shared/messages/jobs';

const job: EmailJob = {
  id: 'stripe:evt_1:email:invoice-paid',
  from: 'Billing <billing@example.test>',
  to: ['ada@example.test', '"Lovelace, Ada" <ada2@example.test>'],
  subject: 'Invoice paid',
  textBody: 'Thanks',
};

describe('email job schema', () => {
  it('accepts bare and named addresses, and a comma-separated To', () => {
    expect(isEmailAddress('a@example.test')).toBe(true);
    expect(isEmailAddress('Ada Lovelace <a@example.test>')).toBe(true);
    expect(isEmailAddress('"Lovelace, Ada" <a@example.test>')).toBe(true);
    expect(isEmailAddress('not an address')).toBe(false);
    expect(isEmailAddress('a@localhost')).toBe(false);
    expect(recipientsOf('"Lovelace, Ada" <a@example.test>, b@example.test')).toEqual([
      '"Lovelace, Ada" <a@example.test>',
      'b@example.test',
    ]);
    expect(parseEmailJob(JSON.stringify(job))).toEqual({ ok: true, job });
  });

  it('rejects a job without subject or body, with a readable reason that shows no values', () => {
    const result = parseEmailJob(JSON.stringify({ ...job, subject: '', textBody: undefined }));
    expect(result).toEqual({
      ok: false,
      reason: 'invalid email job: subject is empty; htmlBody no htmlBody or textBody',
    });
  });

  it('rejects more than 50 recipients (Postmark limit) and addresses that are not addresses', () => {
    const many = Array.from({ length: 51 }, (_, index) => `r${index}@example.test`);
    const result = parseEmailJob(JSON.stringify({ ...job, to: many }));
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('51 recipients') });
    const bad = parseEmailJob(JSON.stringify({ ...job, to: 'secret-name@@x' }));
    expect(bad).toMatchObject({ ok: false });
    expect(JSON.stringify(bad)).not.toContain('secret-name');
  });

  it('rejects a body that is not JSON', () => {
    expect(parseEmailJob('{')).toEqual({ ok: false, reason: 'the message body is not JSON' });
  });

  it('fingerprints what is sent, not delivery facts', () => {
    const base = emailJobFingerprint(job);
    expect(
      emailJobFingerprint({ ...job, correlationId: 'x', metadata: { receivedAt: 'now' } }),
    ).toBe(base);
    expect(
      emailJobFingerprint({ ...job, to: 'ada@example.test, "Lovelace, Ada" <ada2@example.test>' }),
    ).toBe(base);
    expect(emailJobFingerprint({ ...job, textBody: 'Other' })).not.toBe(base);
    expect(emailJobFingerprint({ ...job, tag: 'x' })).not.toBe(base);
    expect(emailJobFingerprint({ ...job, messageStream: 'broadcast' })).not.toBe(base);
  });
});

describe('email job schema: control characters in header and metadata fields', () => {
  const classes: Record<string, string> = {
    NUL: '\u0000',
    CR: '\r',
    LF: '\n',
    ESC: '\u001b',
    BEL: '\u0007',
    DEL: '\u007f',
    'C1 CSI': '\u009b',
    'bidi override': '\u202e',
    'bidi isolate': '\u2066',
    'zero-width space': '\u200b',
    'zero-width joiner': '\u200d',
  };
  const fields: Record<string, (bad: string) => Partial<EmailJob>> = {
    from: (bad) => ({ from: `Bill${bad}ing <billing@example.test>` }),
    to: (bad) => ({ to: `ada${bad}@example.test` }),
    'to.0': (bad) => ({ to: [`Ada${bad} <ada@example.test>`] }),
    subject: (bad) => ({ subject: `INV-1${bad}Bcc: victim@evil.test` }),
    tag: (bad) => ({ tag: `invoice${bad}` }),
    messageStream: (bad) => ({ messageStream: `outbound${bad}` }),
    'metadata.source': (bad) => ({ metadata: { source: `stripe${bad}` } }),
  };
  for (const [className, bad] of Object.entries(classes)) {
    for (const [field, make] of Object.entries(fields)) {
      it(`rejects ${className} in ${field}, naming the field`, () => {
        const result = parseEmailJob(JSON.stringify({ ...job, ...make(bad) }));
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.reason).toContain(
          `${field} holds a control, bidirectional or zero-width character`,
        );
      });
    }
  }

  it('rejects a control character in a metadata name', () => {
    const result = parseEmailJob(JSON.stringify({ ...job, metadata: { 'a\u001bb': 'x' } }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('metadata has a name that holds a control');
    expect(result.reason).not.toContain('\u001b');
  });

  it('keeps line breaks in bodies', () => {
    const result = parseEmailJob(JSON.stringify({ ...job, textBody: 'Hi\r\nthere' }));
    expect(result.ok).toBe(true);
  });
});

describe('email job schema: metadata leaves room for the batcher’s own (issue 16)', () => {
  const withMetadata = (metadata: Record<string, string>) =>
    parseEmailJob(JSON.stringify({ ...job, metadata }));
  const fields = (count: number) =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`field${i}`, `value${i}`]));

  it('accepts up to 8 fields, names up to 20 characters and values up to 80', () => {
    expect(withMetadata(fields(8)).ok).toBe(true);
    expect(withMetadata({ ['n'.repeat(20)]: 'v'.repeat(80) }).ok).toBe(true);
  });

  it.each([
    ['9 fields', fields(9), 'metadata has 9 fields, over the limit of 8'],
    [
      'a name starting with cs_',
      { cs_job: 'mine' },
      'metadata has a name starting with "cs_", which is reserved',
    ],
    ['a name starting with CS_', { CS_call: 'mine' }, 'which is reserved'],
    ['a name of 21 characters', { ['n'.repeat(21)]: 'v' }, 'longer than 20 characters'],
    ['an empty name', { '': 'v' }, 'empty or longer than 20 characters'],
    ['a value of 81 characters', { note: 'secret-'.padEnd(81, 'x') }, 'a value longer than 80'],
  ])('refuses %s, naming the rule and never the value', (_, metadata, reason) => {
    const result = withMetadata(metadata);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain(reason);
    expect(result.reason).not.toContain('secret-');
    expect(result.reason).not.toContain('mine');
  });
});
