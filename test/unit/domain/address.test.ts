import { expect } from 'chai';
import { addressKey, formatAddress, sameAddress } from '../../../src/domain/address';

describe('domain/address', () => {
  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(sameAddress({ ip: '::ffff:127.0.0.1', port: 5000 }, { ip: '127.0.0.1', port: 5000 })).to.equal(true);
    expect(sameAddress({ ip: '127.0.0.1', port: 5000 }, { ip: '::FFFF:127.0.0.1', port: 5000 })).to.equal(true);
    expect(addressKey({ ip: '::ffff:10.0.0.1', port: 1 })).to.equal(addressKey({ ip: '10.0.0.1', port: 1 }));
  });

  it('distinguishes ports and different hosts', () => {
    expect(sameAddress({ ip: '127.0.0.1', port: 5000 }, { ip: '127.0.0.1', port: 5001 })).to.equal(false);
    expect(sameAddress({ ip: '127.0.0.1', port: 5000 }, { ip: '127.0.0.2', port: 5000 })).to.equal(false);
    expect(sameAddress({ ip: '::ffff:127.0.0.1', port: 5000 }, { ip: '127.0.0.2', port: 5000 })).to.equal(false);
    // ::ffff: without a dotted quad is not a mapped IPv4 address.
    expect(sameAddress({ ip: '::ffff:7f00:1', port: 5000 }, { ip: '7f00:1', port: 5000 })).to.equal(false);
  });

  it('compares IPv6 literals case-insensitively', () => {
    expect(sameAddress({ ip: 'FE80::1', port: 9 }, { ip: 'fe80::1', port: 9 })).to.equal(true);
  });

  it('formats IPv6 literals in brackets', () => {
    expect(formatAddress({ ip: '127.0.0.1', port: 5000 })).to.equal('127.0.0.1:5000');
    expect(formatAddress({ ip: '::1', port: 5000 })).to.equal('[::1]:5000');
  });
});
