import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { jsonLogLine, localLogFile, teeJsonLogs } from '../../../../local/stack/log-file';

const NOW = Date.parse('2026-01-02T03:04:05.000Z');

/** A console stream that keeps what it was given. */
function consoleStream() {
  const seen: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      seen.push(String(chunk));
      done();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, seen };
}

describe('local log file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'log-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lives in .local-state, beside a state file, or where LOCAL_LOG_FILE says', () => {
    expect(localLogFile({ serviceDir: '/srv', env: {} })).toBe('/srv/.local-state/logs.jsonl');
    expect(
      localLogFile({ serviceDir: '/srv', env: { LOCAL_STACK_STATE_FILE: '/tmp/s/stack-1.json' } }),
    ).toBe('/tmp/s/stack-1.logs.jsonl');
    expect(
      localLogFile({
        serviceDir: '/srv',
        env: { LOCAL_LOG_FILE: 'logs/mine.jsonl', LOCAL_STACK_STATE_FILE: '/tmp/s.json' },
      }),
    ).toBe('/srv/logs/mine.jsonl');
  });

  it('keeps only JSON log lines, with their own timestamp or the time they were seen', () => {
    const own = '{"level":"INFO","message":"m","timestamp":"2020-01-01T00:00:00.000Z"}';
    expect(jsonLogLine(own, () => NOW)).toBe(own);
    expect(JSON.parse(jsonLogLine('{"level":"WARN","message":"x"}', () => NOW) ?? '')).toEqual({
      timestamp: '2026-01-02T03:04:05.000Z',
      level: 'WARN',
      message: 'x',
    });
    expect(jsonLogLine('offline: POST /webhooks/stripe (λ: webhook-ingest)', () => NOW)).toBe(
      undefined,
    );
    expect(jsonLogLine('{"_aws":{"Timestamp":1},"EmailSent":1}', () => NOW)).toBe(undefined);
    expect(jsonLogLine('{"level":"INFO", broken', () => NOW)).toBe(undefined);
  });

  it('appends JSON lines split over several writes and still shows everything on the console', async () => {
    const out = consoleStream();
    const err = consoleStream();
    const file = path.join(dir, 'nested', 'logs.jsonl');
    const sink = teeJsonLogs({ file, streams: [out.stream, err.stream], now: () => NOW });

    out.stream.write('{"level":"INFO","mess');
    out.stream.write(Buffer.from('age":"one","correlationId":"c-1"}\nplain text\n'));
    err.stream.write('{"level":"ERROR","message":"two"}\n');
    sink.write({ level: 'INFO', message: 'three', queue: 'q' });
    await sink.close();
    out.stream.write('{"level":"INFO","message":"after close"}\n');

    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.message)).toEqual(['one', 'two', 'three']);
    expect(lines[0]).toMatchObject({ correlationId: 'c-1', timestamp: '2026-01-02T03:04:05.000Z' });
    expect(out.seen.join('')).toContain('plain text\n');
    expect(out.seen.join('')).toContain('after close');
    expect(err.seen.join('')).toContain('"two"');
  });
});
