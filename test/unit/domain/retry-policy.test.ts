import { expect } from 'chai';
import {
  ACK_TIMEOUT_MS,
  defaultRetryPolicies,
  giveUpAfterMs,
  longestExchangeMs,
  SERVER_TRANSMISSIONS,
  transmissionOffsetsMs,
} from '../../../src/domain/retry-policy';

describe('domain/retry-policy', () => {
  it('defaults to 500 ms waits and five transmissions to the server', () => {
    expect(ACK_TIMEOUT_MS).to.equal(500);
    expect(SERVER_TRANSMISSIONS).to.equal(5);
    const p = defaultRetryPolicies();
    expect(p.toServer).to.deep.equal({ ackTimeoutMs: 500, transmissions: 5 });
    expect(p.push).to.deep.equal({ ackTimeoutMs: 500, transmissions: 5 });
  });

  it('schedules transmissions at 0, 500, 1000, 1500, 2000 and gives up at 2500', () => {
    const p = defaultRetryPolicies().toServer;
    expect(transmissionOffsetsMs(p)).to.deep.equal([0, 500, 1000, 1500, 2000]);
    expect(giveUpAfterMs(p)).to.equal(2500);
  });

  it('gives a direct message and a probe one transmission and one wait', () => {
    const p = defaultRetryPolicies();
    expect(p.direct).to.deep.equal({ ackTimeoutMs: 500, transmissions: 1 });
    expect(p.probe).to.deep.equal({ ackTimeoutMs: 500, transmissions: 1 });
    expect(transmissionOffsetsMs(p.direct)).to.deep.equal([0]);
    expect(giveUpAfterMs(p.direct)).to.equal(500);
  });

  it('scales with a configured ACK wait', () => {
    const p = defaultRetryPolicies(100);
    expect(transmissionOffsetsMs(p.toServer)).to.deep.equal([0, 100, 200, 300, 400]);
    expect(giveUpAfterMs(p.toServer)).to.equal(500);
    expect(longestExchangeMs(p)).to.equal(500);
  });

  it('bounds the longest exchange by the slowest policy', () => {
    expect(longestExchangeMs(defaultRetryPolicies())).to.equal(2500);
    const custom = { ...defaultRetryPolicies(), probe: { ackTimeoutMs: 1000, transmissions: 3 } };
    expect(longestExchangeMs(custom)).to.equal(3000);
    expect(transmissionOffsetsMs({ ackTimeoutMs: 7, transmissions: 0 })).to.deep.equal([]);
  });
});
