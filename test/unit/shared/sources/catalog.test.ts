import { ConfigError } from '../../../../shared/errors';
import { loadSourceCatalog } from '../../../../shared/sources/catalog';
import profiles from '../../../fixtures/sources.json';

const withSource = (source: unknown, emailTemplates: unknown = {}) => ({
  p: { sources: { demo: source }, emailTemplates },
});

describe('source catalog', () => {
  it('loads one demo source per scheme in the test catalog, with defaults filled in', () => {
    const { sources } = loadSourceCatalog(profiles, 'local', 'connector-suite/local');

    expect([...sources.values()].map((s) => s.scheme).sort()).toEqual([
      'generic',
      'github',
      'shopify',
      'slack',
      'standard',
      'stripe',
    ]);
    expect(sources.get('stripe')).toMatchObject({
      secretName: 'connector-suite/local/webhooks/stripe',
      toleranceSeconds: 300,
    });
    expect(sources.get('stripe')?.ceilingPerSecond).toBeGreaterThanOrEqual(100);
  });

  it('matches event types against * patterns, anchored at both ends', () => {
    const { sources } = loadSourceCatalog(profiles, 'local', 'connector-suite/local');
    const [route] = sources.get('stripe')?.routes ?? [];

    expect(route?.matches('payment_intent.succeeded')).toBe(true);
    expect(route?.matches('xpayment_intent.succeeded')).toBe(false);
    expect(route?.matches('payment_intentXsucceeded')).toBe(false);
  });

  it.each([
    ['an unknown scheme', { scheme: 'fax', routes: [] }, /scheme/],
    [
      'a destination of unknown kind',
      { scheme: 'github', routes: [{ match: '*', to: 'sms:x' }] },
      /"to"/,
    ],
    [
      'an email route to an unknown template',
      { scheme: 'github', routes: [{ match: '*', to: 'email:nope' }] },
      /"to"/,
    ],
    [
      'more than ten routes',
      {
        scheme: 'github',
        routes: Array.from({ length: 11 }, () => ({ match: '*', to: 'workflow:a' })),
      },
      /at most 10/,
    ],
    ['a zero ceiling', { scheme: 'github', abuseCeiling: { perSecond: 0 } }, /perSecond/],
  ])('fails start-up on %s, naming the source', (_what, source, message) => {
    expect(() => loadSourceCatalog(withSource(source), 'p', 'x')).toThrow(ConfigError);
    expect(() => loadSourceCatalog(withSource(source), 'p', 'x')).toThrow(message);
    expect(() => loadSourceCatalog(withSource(source), 'p', 'x')).toThrow(/source "demo"/);
  });

  it('fails start-up on a missing profile', () => {
    expect(() => loadSourceCatalog(profiles, 'nope', 'x')).toThrow(/profile "nope"/);
  });

  it('refuses an email template with neither text nor HTML body', () => {
    const templates = { t: { from: 'a@b.test', to: '{{email}}', subject: 's' } };
    expect(() =>
      loadSourceCatalog(withSource({ scheme: 'github', routes: [] }, templates), 'p', 'x'),
    ).toThrow(/htmlBody/);
  });
});
