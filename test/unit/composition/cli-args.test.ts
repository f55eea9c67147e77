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
