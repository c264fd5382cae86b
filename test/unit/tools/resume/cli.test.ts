import { Writable } from 'node:stream';
import { cleanNote } from '../../../../shared/state/resume';
import { main, parseResume } from '../../../../tools/resume/cli';

/** A stream that keeps what is written to it. */
function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

describe('npm run resume: arguments', () => {
  it('reads what to resume, why and who, with the engine and account defaults', () => {
    expect(parseResume(['workflow', '--reason', 'token fixed', '--by', 'alice'], {})).toEqual({
      name: 'resume',
      what: 'workflow',
      note: { via: 'command', by: 'alice', reason: 'token fixed' },
      engine: 'n8n',
      account: 'postmark',
      target: {},
    });
  });

  it('takes the operating-system user when --by is not given, and a stage with its region', () => {
    const command = parseResume(['email', '--reason', 'x', '--stage', 'prod'], {
      USER: 'bob',
      AWS_REGION: 'eu-west-1',
    });

    expect(command).toMatchObject({
      what: 'email',
      note: { by: 'bob' },
      target: { stage: 'prod', region: 'eu-west-1' },
    });
  });

  it.each([
    [['workflow'], '--reason is required'],
    [['workflow', '--reason', '   '], '--reason is required'],
    [['breaker', '--reason', 'x'], 'Resume "workflow" or "email"'],
    [['email', '--reason', 'x', '--region', 'eu-west-1'], '--region needs --stage'],
    [['email', '--reason', 'x', '--stage', 'prod;rm'], '--stage must be a stage name'],
    [['email', '--reason', 'x', '--stage', 'prod'], '--stage needs --region'],
    [['email', '--reason', 'x', '--force'], "Unknown option '--force'"],
  ])('refuses %j with a message', (argv, message) => {
    expect(() => parseResume(argv, {})).toThrow(message);
  });

  it('exits 2 on a usage mistake and 0 with the help', async () => {
    const out = sink();
    const err = sink();
    const io = { stdout: out.stream, stderr: err.stream };

    expect(await main(['workflow'], io, {})).toBe(2);
    expect(err.text()).toContain('--reason is required');
    expect(await main(['--help'], io, {})).toBe(0);
    expect(out.text()).toContain('Usage: npm run resume');
  });

  it('keeps who and why short and free of control characters', () => {
    const note = cleanNote({
      via: 'command',
      by: 'eve\u001b[31m',
      reason: `line\nbreak ${'x'.repeat(500)}`,
    });

    expect(note.by).toBe('eve [31m');
    expect(note.reason.startsWith('line break ')).toBe(true);
    expect(note.reason).toHaveLength(200);
  });
});
