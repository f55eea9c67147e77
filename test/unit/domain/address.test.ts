import { expect } from 'chai';
import { ADDRESS_TEXT_MAX_CHARS, addressKey, formatAddress, isIPv4Literal, isIPv6Literal, parseAddress, sameAddress } from '../../../src/domain/address';

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
    // An IPv6 literal that starts with a digit is not taken for IPv4 (which needs no lowercasing).
    expect(addressKey({ ip: '2001:DB8::1', port: 9 })).to.equal(addressKey({ ip: '2001:db8::1', port: 9 }));
  });

  it('formats IPv6 literals in brackets', () => {
    expect(formatAddress({ ip: '127.0.0.1', port: 5000 })).to.equal('127.0.0.1:5000');
    expect(formatAddress({ ip: '::1', port: 5000 })).to.equal('[::1]:5000');
  });
});

describe('domain/address: the ip:port form instances announce themselves in', () => {
  it('reads back what formatAddress writes, for IPv4 and IPv6', () => {
    for (const address of [
      { ip: '127.0.0.1', port: 5000 },
      { ip: '0.0.0.0', port: 1 },
      { ip: '255.255.255.255', port: 65535 },
      { ip: '::1', port: 5000 },
      { ip: '::', port: 5000 },
      { ip: 'fe80::1234:5678:9abc:def0', port: 6000 },
      { ip: '2001:db8:0:0:0:0:0:1', port: 6000 },
      { ip: '::ffff:10.0.0.1', port: 7000 },
      { ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', port: 65535 },
    ]) {
      const text = formatAddress(address);
      expect(parseAddress(text), text).to.deep.equal(address);
    }
  });

  it('the longest accepted text is ADDRESS_TEXT_MAX_CHARS long', () => {
    const longest = formatAddress({ ip: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', port: 65535 });
    expect(longest.length).to.equal(ADDRESS_TEXT_MAX_CHARS);
    expect(parseAddress(longest)).to.not.equal(undefined);
  });

  it('refuses anything else: host names, zones, bad ports, leading zeros, spaces, unbracketed IPv6', () => {
    for (const text of [
      '',
      'localhost:5000',
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '127.0.0.1:05000',
      '127.0.0.1:5000 ',
      ' 127.0.0.1:5000',
      '127.0.0.01:5000',
      '256.0.0.1:5000',
      '1.2.3:5000',
      '1.2.3.4.5:5000',
      '::1:5000',
      '[::1]',
      '[::1]:',
      '[fe80::1%eth0]:5000',
      '[1::2::3]:5000',
      '[1:2:3:4:5:6:7:8:9]:5000',
      '[1:2:3:4:5:6:7]:5000',
      '[12345::1]:5000',
      '[:1]:5000',
      '[1.2.3.4]:5000',
      '[::ffff:1.2.3.4:5]:5000',
      '[::g]:5000',
      '"127.0.0.1:5000"',
      '127.0.0.1:5000,127.0.0.1:5001',
    ]) expect(parseAddress(text), JSON.stringify(text)).to.equal(undefined);
  });

  it('tells IPv4 and IPv6 literals apart', () => {
    expect(isIPv4Literal('10.1.2.3')).to.equal(true);
    expect(isIPv4Literal('::1')).to.equal(false);
    expect(isIPv6Literal('::1')).to.equal(true);
    expect(isIPv6Literal('1:2:3:4:5:6:1.2.3.4')).to.equal(true);
    expect(isIPv6Literal('1:2:3:4:5:6:7:1.2.3.4')).to.equal(false);
    expect(isIPv6Literal('10.1.2.3')).to.equal(false);
  });
});
