import { routeEvent } from '../../../../functions/webhook-ingest/routing';
import type { EmailJob } from '../../../../shared/messages/jobs';
import type { EmailTemplate, Source, SourceCatalog } from '../../../../shared/sources/catalog';

const queues = { emailJobs: 'q://email', emailJobsDlq: 'q://email-dlq', workflowJobs: 'q://wf' };
const template: EmailTemplate = {
  from: 'Billing <billing@example.test>',
  to: '{{customer.email}}',
  subject: 'Invoice {{number}} paid',
  htmlBody:
    '<p>Hi {{customer.name}}</p><a title="{{customer.name}}" href="https://example.test/i/{{number}}">x</a>{{{trusted}}}',
  textBody: 'Hi {{customer.name}}\nthanks',
};
const source = {
  name: 'stripe',
  routes: [
    {
      pattern: '*',
      to: 'email:invoice',
      destination: { kind: 'email', template: 'invoice' },
      matches: () => true,
    },
  ],
} as unknown as Source;
const catalog: SourceCatalog = {
  sources: new Map([['stripe', source]]),
  emailTemplates: new Map([['invoice', template]]),
};

function route(payload: Record<string, unknown>) {
  return routeEvent(
    source,
    catalog,
    { eventId: 'evt_1', eventType: 'invoice.paid' },
    { customer: { email: 'ada@example.test', name: 'Ada' }, number: 'INV-1', ...payload },
    { correlationId: 'c-1', receivedAt: '2026-01-01T00:00:00Z' },
    queues,
  );
}

describe('template rendering escapes for where a value goes', () => {
  it('HTML-escapes every placeholder in an HTML body, leaves text bodies plain', () => {
    const hostile = '<script>alert(1)</script> "><img src=x onerror=alert(2)> \'&';
    const routed = route({
      customer: { email: 'ada@example.test', name: hostile },
      trusted: '<b>ok</b>',
    });
    expect(routed.deadLettered).toEqual([]);
    const job = JSON.parse(routed.messages[0]?.body ?? '{}') as EmailJob;
    expect(job.htmlBody).toBe(
      '<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt; &#39;&amp;</p>' +
        '<a title="&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt; &#39;&amp;" href="https://example.test/i/INV-1">x</a>' +
        '<b>ok</b>',
    );
    expect(job.textBody).toBe(`Hi ${hostile}\nthanks`);
  });

  it.each([
    ['two addresses', 'a@example.test, b@evil.test'],
    ['a semicolon', 'a@example.test;b@evil.test'],
    ['an angle bracket', 'Evil <b@evil.test>'],
    ['a quote', '"x" a@example.test'],
    ['a line break', 'a@example.test\r\nBcc: b@evil.test'],
  ])('dead-letters a to placeholder holding %s as invalid-job, nothing sent', (_, email) => {
    const routed = route({ customer: { email, name: 'Ada' } });
    expect(routed.messages).toEqual([]);
    expect(routed.deadLettered).toEqual([
      expect.objectContaining({
        reasonCode: 'invalid-job',
        reason: expect.stringContaining('to (from customer.email)'),
      }),
    ]);
  });

  it.each([
    ['CR LF', '\r\n'],
    ['ESC', '\u001b'],
    ['BEL', '\u0007'],
    ['NUL', '\u0000'],
    ['U+009B', '\u009b'],
    ['bidi override', '\u202e'],
    ['zero-width space', '\u200b'],
  ])('dead-letters a subject placeholder holding %s as invalid-job naming the field', (_, bad) => {
    const routed = route({ number: `INV-1${bad}Bcc: victim@evil.test` });
    expect(routed.messages).toEqual([]);
    expect(routed.deadLettered).toEqual([
      expect.objectContaining({
        reasonCode: 'invalid-job',
        reason: expect.stringContaining('subject (from number)'),
      }),
    ]);
  });

  it('still dead-letters a placeholder with no value as unfillable-template naming the path', () => {
    const routed = route({ number: { nested: true } });
    expect(routed.deadLettered).toEqual([
      expect.objectContaining({
        reasonCode: 'unfillable-template',
        reason: expect.stringContaining('no value for number'),
      }),
    ]);
  });
});

describe('links and lengths in templates', () => {
  const withTemplate = (
    htmlBody: string,
    payload: Record<string, unknown>,
    maxValueChars?: number,
  ) => {
    const linked: SourceCatalog = {
      sources: catalog.sources,
      emailTemplates: new Map([['invoice', { ...template, htmlBody }]]),
    };
    return routeEvent(
      source,
      linked,
      { eventId: 'evt_1', eventType: 'invoice.paid' },
      { customer: { email: 'ada@example.test', name: 'Ada' }, number: 'INV-1', ...payload },
      { correlationId: 'c-1', receivedAt: '2026-01-01T00:00:00Z' },
      queues,
      ...(maxValueChars === undefined ? [] : [{ maxValueChars }]),
    );
  };
  const html = (routed: ReturnType<typeof withTemplate>) =>
    (JSON.parse(routed.messages[0]?.body ?? '{}') as EmailJob).htmlBody;

  it.each([
    ['https', 'https://example.test/pay?a=1&b=2', 'https://example.test/pay?a=1&amp;b=2'],
    ['mailto', 'mailto:billing@example.test', 'mailto:billing@example.test'],
  ])('takes an %s URL that starts an href or src, escaped', (_, url, shown) => {
    const routed = withTemplate('<a href="{{link}}">pay</a><img src=\'{{link}}\'>', { link: url });
    expect(routed.deadLettered).toEqual([]);
    expect(html(routed)).toBe(`<a href="${shown}">pay</a><img src='${shown}'>`);
  });

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['javascript: behind spaces and a tab', '  java\tscript:alert(1)'],
    ['JAVASCRIPT: in capitals', 'JAVASCRIPT:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['http:', 'http://example.test/'],
    ['a relative URL', '//evil.test/x'],
  ])('dead-letters %s where it starts an href, nothing sent', (_, url) => {
    const routed = withTemplate('<p><a class="x" HREF = "{{link}}">pay</a></p>', { link: url });
    expect(routed.messages).toEqual([]);
    expect(routed.deadLettered).toEqual([
      expect.objectContaining({
        reasonCode: 'invalid-job',
        reason: expect.stringContaining(
          'htmlBody (from link) would be a link that is not https: or mailto:',
        ),
      }),
    ]);
  });

  it('only escapes a placeholder after a fixed start of the URL: it cannot change the scheme', () => {
    const routed = withTemplate('<a href="https://example.test/i/{{link}}">x</a>', {
      link: 'javascript:alert(1)"><b>',
    });
    expect(html(routed)).toBe(
      '<a href="https://example.test/i/javascript:alert(1)&quot;&gt;&lt;b&gt;">x</a>',
    );
  });

  it('dead-letters a value over the length cap as invalid-job naming the field and path', () => {
    const routed = withTemplate(
      '<p>{{customer.name}}</p>',
      { customer: { email: 'a@x.test', name: 'x'.repeat(11) } },
      10,
    );
    expect(routed.messages).toEqual([]);
    expect(routed.deadLettered).toEqual([
      expect.objectContaining({
        reasonCode: 'invalid-job',
        reason: expect.stringContaining(
          'htmlBody (from customer.name) is longer than 10 characters',
        ),
      }),
    ]);
    expect(
      withTemplate(
        '<p>{{customer.name}}</p>',
        { customer: { email: 'a@x.test', name: 'x'.repeat(10) } },
        10,
      ).deadLettered,
    ).toEqual([]);
  });
});
