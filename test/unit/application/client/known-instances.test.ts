import { expect } from 'chai';
import { KnownInstances } from '../../../../src/application/client/known-instances';

const A = { ip: '127.0.0.1', port: 5000 };
const B = { ip: '127.0.0.1', port: 5001 };
const C = { ip: '10.0.0.3', port: 5000 };
const D = { ip: '::1', port: 5003 };

describe('KnownInstances', () => {
  it('starts on the start address, followed by the configured ones, each once', () => {
    const known = new KnownInstances(A, [B, A, C, B]);
    expect(known.current).to.deep.equal(A);
    expect(known.all()).to.deep.equal([A, B, C]);
  });

  it('appends announced instances; a new announcement replaces the last one, never the start or configured ones', () => {
    const known = new KnownInstances(A, [B]);
    known.learn(['10.0.0.3:5000', '[::1]:5003', '127.0.0.1:5001']);
    expect(known.all()).to.deep.equal([A, B, C, D]);
    known.learn(['[::1]:5003']);
    expect(known.all()).to.deep.equal([A, B, D]);
    known.learn(['not an address', '127.0.0.1:0']);
    expect(known.all()).to.deep.equal([A, B]);
  });

  it('knows an address in any of its forms (IPv4-mapped IPv6, IPv6 case)', () => {
    const known = new KnownInstances(A);
    known.learn(['[FE80::1]:7000']);
    expect(known.knows({ ip: '::ffff:127.0.0.1', port: 5000 })).to.equal(true);
    expect(known.knows({ ip: 'fe80::1', port: 7000 })).to.equal(true);
    expect(known.knows({ ip: '127.0.0.1', port: 5001 })).to.equal(false);
    expect(known.knows({ ip: '127.0.0.2', port: 5000 })).to.equal(false);
  });

  it('offers the others in list order, starting after the failed one and wrapping around', () => {
    const known = new KnownInstances(A, [B, C]);
    known.learn(['[::1]:5003']);
    expect(known.alternativesTo(A)).to.deep.equal([B, C, D]);
    expect(known.alternativesTo(C)).to.deep.equal([D, A, B]);
    expect(new KnownInstances(A).alternativesTo(A)).to.deep.equal([]);
  });

  it('keeps the current instance known even when an announcement leaves it out', () => {
    const known = new KnownInstances(A);
    known.learn(['127.0.0.1:5001']);
    known.use(B);
    known.learn(['10.0.0.3:5000']);
    expect(known.current).to.deep.equal(B);
    expect(known.knows(B)).to.equal(true);
    expect(known.all()).to.deep.equal([A, C, B]);
    expect(known.alternativesTo(B)).to.deep.equal([A, C]);
  });

  it('takes the first entry of a list as another address of the instance it came from, and never moves from one to the other', () => {
    // Reached at 127.0.0.1:5000, the instance advertises itself (first) at the LAN address.
    const known = new KnownInstances(A);
    known.learn(['192.0.2.2:5000', '192.0.2.2:5001'], A);
    const lan = { ip: '192.0.2.2', port: 5000 };
    const other = { ip: '192.0.2.2', port: 5001 };
    expect(known.all()).to.deep.equal([A, lan, other]);
    expect(known.alternativesTo(A), 'not the failed one under its LAN address').to.deep.equal([other]);
    expect(known.alternativesTo(lan)).to.deep.equal([other]);
    // Without the list's source the first entry is an instance like any other.
    const plain = new KnownInstances(A);
    plain.learn(['192.0.2.2:5000', '192.0.2.2:5001']);
    expect(plain.alternativesTo(A)).to.deep.equal([lan, other]);
  });
});
