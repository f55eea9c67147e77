import { expect } from 'chai';
import { parseCliArgs } from '../../../src/composition/cli-args';

describe('parseCliArgs', () => {
  it('takes the program name as a first word in any case, or no program name at all', () => {
    for (const first of ['ChatApp', 'chatapp', 'Chatapp', 'CHATAPP']) {
      expect(parseCliArgs([first, '-s', '5000']), first).to.deep.equal({ kind: 'server', port: 5000, options: {} });
    }
    expect(parseCliArgs(['-c', 'x', '127.0.0.1', '5000', '6000'])).to.deep.include({ kind: 'client', name: 'x', clientPort: 6000 });
  });

  it('refuses the reserved name Server before starting a client', () => {
    for (const name of ['Server', 'server']) {
      const request = parseCliArgs(['-c', name, '127.0.0.1', '5000', '6000']);
      expect(request.kind).to.equal('error');
      expect(request.kind === 'error' && request.message).to.include('reserved');
    }
  });
});

describe('parseCliArgs: the Redis options of a server', () => {
  it('reads --redis, --redis-prefix and --allow-volatile-redis for -s', () => {
    expect(parseCliArgs(['-s', '5000', '--redis', 'redis://127.0.0.1:6390', '--redis-prefix', 'team:', '--allow-volatile-redis'])).to.deep.equal({
      kind: 'server',
      port: 5000,
      options: { redisUrl: 'redis://127.0.0.1:6390', redisPrefix: 'team:', allowVolatileRedis: true },
    });
    expect(parseCliArgs(['-s', '5000', '--redis=rediss://u:p@host:6380/2'])).to.deep.include({ options: { redisUrl: 'rediss://u:p@host:6380/2' } });
  });

  it('refuses a missing or non-Redis URL, an empty prefix, and a value given to the switch', () => {
    for (const argv of [
      ['-s', '5000', '--redis'],
      ['-s', '5000', '--redis', 'http://host'],
      ['-s', '5000', '--redis-prefix', ''],
      ['-s', '5000', '--redis-prefix', 'a b'],
      ['-s', '5000', '--allow-volatile-redis=yes'],
    ]) expect(parseCliArgs(argv).kind, argv.join(' ')).to.equal('error');
  });

  it('refuses them for a client, naming the option', () => {
    const request = parseCliArgs(['-c', 'x', '127.0.0.1', '5000', '6000', '--redis', 'redis://127.0.0.1:6390']);
    expect(request).to.deep.equal({ kind: 'error', message: '--redis is a server option (-s)' });
  });
});

describe('parseCliArgs: --servers, the other instances a client may move to', () => {
  const client = ['-c', 'x', '127.0.0.1', '5000', '6000'];

  it('reads IPv4, bracketed IPv6 and host names with their ports, in order', () => {
    expect(parseCliArgs([...client, '--servers', '127.0.0.1:5001,[::1]:5002,db-2.example.org:5003'])).to.deep.include({
      kind: 'client',
      options: { servers: [{ host: '127.0.0.1', port: 5001 }, { host: '::1', port: 5002 }, { host: 'db-2.example.org', port: 5003 }] },
    });
    expect(parseCliArgs(['--servers=localhost:5001', ...client])).to.deep.include({ options: { servers: [{ host: 'localhost', port: 5001 }] } });
  });

  it('refuses a malformed list with a line naming the entry', () => {
    for (const [value, words] of [
      ['', '--servers needs a list'],
      ['127.0.0.1', 'invalid --servers entry "127.0.0.1"'],
      ['127.0.0.1:5001,', 'invalid --servers entry ""'],
      ['127.0.0.1:99', 'port 99 is out of range'],
      ['127.0.0.1:http', 'is not a number'],
      ['::1:5001', 'invalid --servers entry "::1:5001"'],
      ['[::1:5001', 'invalid --servers entry'],
      ['[fe80::1%eth0]:5001', 'is not an IP address or host name'],
      ['[1.2.3.4]:5001', 'is not an IP address or host name'],
      ['300.1.1.1:5001', 'is not an IP address or host name'],
      ['bad_host:5001', 'is not an IP address or host name'],
      [' 127.0.0.1:5001', 'is not an IP address or host name'],
    ] as const) {
      const request = parseCliArgs([...client, '--servers', value]);
      expect(request.kind, value).to.equal('error');
      expect(request.kind === 'error' && request.message, value).to.include(words);
    }
    expect(parseCliArgs([...client, '--servers']).kind).to.equal('error');
  });

  it('is a client option', () => {
    expect(parseCliArgs(['-s', '5000', '--servers', '127.0.0.1:5001'])).to.deep.equal({ kind: 'error', message: '--servers is a client option (-c)' });
  });
});
