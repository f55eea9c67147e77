import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { NOISE_TAG_BYTES, TransportCipher } from './noise-cipher';

/** The protocol name hashed into every handshake: both sides must use exactly this suite. */
export const NOISE_XX_PROTOCOL_NAME = 'Noise_XX_25519_ChaChaPoly_SHA256';
/** Noise's limit on any message (§3); a read refuses longer input and a write throws. */
export const NOISE_MAX_MESSAGE_BYTES = 65535;

const DHLEN = 32;
const HASHLEN = 32;
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const SEALED_KEY_BYTES = DHLEN + NOISE_TAG_BYTES;
const MSG1_MIN_BYTES = DHLEN;
const MSG2_MIN_BYTES = DHLEN + SEALED_KEY_BYTES + NOISE_TAG_BYTES;
const MSG3_MIN_BYTES = SEALED_KEY_BYTES + NOISE_TAG_BYTES;

/**
 * An X25519 key pair: the raw 32-byte public key as it travels in handshake messages, and the
 * private key as a KeyObject so it is handed to node:crypto without ever being exported.
 */
export interface StaticKeyPair {
  readonly publicKey: Buffer;
  readonly privateKey: KeyObject;
}

/** The transport keys of a finished handshake, oriented for the side that asked, and the hash that names the session (for channel binding). */
export interface SplitKeys {
  readonly send: Buffer;
  readonly receive: Buffer;
  readonly handshakeHash: Buffer;
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * The key pair of 32 raw private-key bytes, imported as JWK: OpenSSL 3 decodes DER and PEM
 * keys through its generic decoder framework, about ten times as long as this (0.7 ms against
 * 0.08 ms here), on every handshake's ephemeral key and every client start. JWK wants an `x`
 * but does not read it for a private key: the public key is derived from `d`. Should a later
 * Node check `x`, the import throws and the DER route is taken instead.
 */
export function x25519KeyPairFromRaw(raw: Buffer): StaticKeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  }
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new TypeError('not an X25519 private key');
  return { publicKey: Buffer.from(x, 'base64url'), privateKey };
}

/** A fresh X25519 key pair (X25519 takes any 32 random bytes as a private key: it clamps them itself). */
export function generateStaticKeyPair(): StaticKeyPair {
  return x25519KeyPairFromRaw(randomBytes(DHLEN));
}

/** The key pair of a stored PKCS#8 PEM private key (a server's long-term identity); throws for anything but an X25519 key. */
export function staticKeyPairFromPem(pkcs8Pem: string): StaticKeyPair {
  // An X25519 PKCS#8 key is one fixed 48-byte layout: its last 32 bytes are the key.
  const der = Buffer.from(pkcs8Pem.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''), 'base64');
  if (/^-----BEGIN PRIVATE KEY-----\s/.test(pkcs8Pem) && der.length === X25519_PKCS8_PREFIX.length + DHLEN && der.subarray(0, X25519_PKCS8_PREFIX.length).equals(X25519_PKCS8_PREFIX)) {
    return x25519KeyPairFromRaw(der.subarray(X25519_PKCS8_PREFIX.length));
  }
  const privateKey = createPrivateKey(pkcs8Pem);
  if (privateKey.asymmetricKeyType !== 'x25519') throw new TypeError('not an X25519 private key');
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return { publicKey: spki.subarray(X25519_SPKI_PREFIX.length), privateKey };
}

/**
 * Noise's SymmetricState (§5.2) for this one suite: chaining key, handshake hash and the
 * handshake's CipherState (key and implicit nonce, which is right here: handshake messages are
 * processed strictly in order). Buffers are replaced, never written into, so `copy` is cheap and
 * lets a read work on a copy that is kept only if the whole message checks out.
 */
class SymmetricState {
  private constructor(
    private ck: Buffer,
    private h: Buffer,
    private k: TransportCipher | undefined,
    private n: bigint,
  ) {}

  static initialize(prologue: Buffer): SymmetricState {
    const name = Buffer.from(NOISE_XX_PROTOCOL_NAME, 'ascii');
    const h = name.length <= HASHLEN ? Buffer.concat([name, Buffer.alloc(HASHLEN - name.length)]) : sha256(name);
    const state = new SymmetricState(h, h, undefined, 0n);
    state.mixHash(prologue);
    return state;
  }

  copy(): SymmetricState {
    return new SymmetricState(this.ck, this.h, this.k, this.n);
  }

  mixHash(data: Buffer): void {
    this.h = sha256(this.h, data);
  }

  mixKey(ikm: Buffer): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.k = new TransportCipher(k);
    this.n = 0n;
  }

  encryptAndHash(plaintext: Buffer): Buffer {
    const ciphertext = this.k ? this.k.seal(this.n++, this.h, plaintext) : Buffer.from(plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Buffer): Buffer | undefined {
    const plaintext = this.k ? this.k.open(this.n, this.h, ciphertext) : Buffer.from(ciphertext);
    if (!plaintext) return undefined;
    if (this.k) this.n++;
    this.mixHash(ciphertext);
    return plaintext;
  }

  split(): SplitKeys {
    const [k1, k2] = hkdf2(this.ck, Buffer.alloc(0));
    return { send: k1, receive: k2, handshakeHash: Buffer.from(this.h) };
  }
}

type InitiatorStep = 'write1' | 'read2' | 'write3' | 'done';
type ResponderStep = 'read1' | 'write2' | 'read3' | 'done';

/**
 * The initiator of Noise_XX_25519_ChaChaPoly_SHA256 (rev. 34): `-> e`, `<- e, ee, s, es`,
 * `-> s, se`. XX because neither side knows the other's static key beforehand: each learns it
 * from the handshake and decides itself whether to trust it.
 *
 * Reads never throw: malformed, short or overlong input, a failed tag or a low-order key give
 * undefined and leave the state as it was, so a forged datagram cannot end a handshake that the
 * genuine message would still complete. Calls out of order are programming errors and throw.
 * `e` fixes the ephemeral key, for test vectors only: reusing one breaks forward secrecy.
 *
 * The initiator's static key pair is used only by message 3 (`s` and `se`), so it may be left
 * out here and given to writeMessage3: a handshake can begin, and message 2 be read and its
 * sender's key judged, before the key that message 3 reveals is at hand.
 */
export class XXInitiator {
  private ss: SymmetricState;
  private step: InitiatorStep = 'write1';
  private readonly e: StaticKeyPair;
  /** The responder's ephemeral key, read from message 2, for `se` in message 3. */
  private re: Buffer | undefined;

  constructor(
    private readonly s: StaticKeyPair | undefined,
    prologue: Buffer,
    e?: StaticKeyPair,
  ) {
    this.ss = SymmetricState.initialize(prologue);
    this.e = e ?? generateStaticKeyPair();
  }

  /** Message 1: e (32) ‖ payload in clear (no key exists yet, so it must hold nothing secret). */
  writeMessage1(payload: Buffer): Buffer {
    this.expect('write1');
    assertFits(MSG1_MIN_BYTES + payload.length);
    this.ss.mixHash(this.e.publicKey);
    const body = this.ss.encryptAndHash(payload);
    this.step = 'read2';
    return Buffer.concat([this.e.publicKey, body]);
  }

  /** Message 2 from the responder: its payload and static key, or undefined when it does not check out. */
  readMessage2(message: Buffer): { payload: Buffer; remoteStatic: Buffer } | undefined {
    this.expect('read2');
    if (message.length < MSG2_MIN_BYTES || message.length > NOISE_MAX_MESSAGE_BYTES) return undefined;
    const ss = this.ss.copy();
    const re = Buffer.from(message.subarray(0, DHLEN));
    ss.mixHash(re);
    const ee = dh(this.e.privateKey, re);
    if (!ee) return undefined;
    ss.mixKey(ee);
    const rs = ss.decryptAndHash(message.subarray(DHLEN, DHLEN + SEALED_KEY_BYTES));
    if (!rs) return undefined;
    const es = dh(this.e.privateKey, rs);
    if (!es) return undefined;
    ss.mixKey(es);
    const payload = ss.decryptAndHash(message.subarray(DHLEN + SEALED_KEY_BYTES));
    if (!payload) return undefined;
    this.ss = ss;
    this.re = re;
    this.step = 'write3';
    return { payload, remoteStatic: rs };
  }

  /**
   * Message 3: enc(s) (48) ‖ enc(payload) (+16); the payload is the first one the responder can
   * authenticate as the initiator's. `s` is the static key pair when the constructor had none.
   */
  writeMessage3(payload: Buffer, s: StaticKeyPair | undefined = this.s): Buffer {
    this.expect('write3');
    if (!s) throw new Error('XX initiator: message 3 needs the static key pair');
    assertFits(MSG3_MIN_BYTES + payload.length);
    // Cannot fail here: readMessage2 refused a low-order `re` (its `ee` is all zeros), and any
    // clamped private key gives all zeros for exactly those points.
    const se = dh(s.privateKey, this.re!);
    if (!se) throw new Error('XX initiator: se failed');
    const sealedKey = this.ss.encryptAndHash(s.publicKey);
    this.ss.mixKey(se);
    const body = this.ss.encryptAndHash(payload);
    this.re = undefined;
    this.step = 'done';
    return Buffer.concat([sealedKey, body]);
  }

  /** After message 3: send under k1, receive under k2. */
  split(): SplitKeys {
    this.expect('done');
    return this.ss.split();
  }

  private expect(step: InitiatorStep): void {
    if (this.step !== step) throw new Error(`XX initiator: ${step} called, but the next step is ${this.step}`);
  }
}

/**
 * The responder of Noise_XX_25519_ChaChaPoly_SHA256; see XXInitiator for the pattern and the
 * rules on reads, order and a fixed `e`. Message 1's DH results are computed when it is read, so
 * a low-order ephemeral key is refused there and not when writing message 2.
 */
export class XXResponder {
  private ss: SymmetricState;
  private step: ResponderStep = 'read1';
  private readonly e: StaticKeyPair;
  private ee: Buffer | undefined;
  private es: Buffer | undefined;

  constructor(
    private readonly s: StaticKeyPair,
    prologue: Buffer,
    e?: StaticKeyPair,
  ) {
    this.ss = SymmetricState.initialize(prologue);
    this.e = e ?? generateStaticKeyPair();
  }

  /** Message 1 from the initiator: its clear payload, or undefined for a short/overlong message or a low-order key. */
  readMessage1(message: Buffer): { payload: Buffer } | undefined {
    this.expect('read1');
    if (message.length < MSG1_MIN_BYTES || message.length > NOISE_MAX_MESSAGE_BYTES) return undefined;
    const re = Buffer.from(message.subarray(0, DHLEN));
    const ee = dh(this.e.privateKey, re);
    const es = dh(this.s.privateKey, re);
    if (!ee || !es) return undefined;
    const ss = this.ss.copy();
    ss.mixHash(re);
    const payload = ss.decryptAndHash(message.subarray(DHLEN));
    if (!payload) return undefined;
    this.ss = ss;
    this.ee = ee;
    this.es = es;
    this.step = 'write2';
    return { payload };
  }

  /** Message 2: e (32) ‖ enc(s) (48) ‖ enc(payload) (+16). */
  writeMessage2(payload: Buffer): Buffer {
    this.expect('write2');
    assertFits(MSG2_MIN_BYTES + payload.length);
    this.ss.mixHash(this.e.publicKey);
    this.ss.mixKey(this.ee!);
    const sealedKey = this.ss.encryptAndHash(this.s.publicKey);
    this.ss.mixKey(this.es!);
    const body = this.ss.encryptAndHash(payload);
    this.ee = undefined;
    this.es = undefined;
    this.step = 'read3';
    return Buffer.concat([this.e.publicKey, sealedKey, body]);
  }

  /** Message 3 from the initiator: its payload and static key, or undefined when it does not check out. */
  readMessage3(message: Buffer): { payload: Buffer; remoteStatic: Buffer } | undefined {
    this.expect('read3');
    if (message.length < MSG3_MIN_BYTES || message.length > NOISE_MAX_MESSAGE_BYTES) return undefined;
    const ss = this.ss.copy();
    const rs = ss.decryptAndHash(message.subarray(0, SEALED_KEY_BYTES));
    if (!rs) return undefined;
    const se = dh(this.e.privateKey, rs);
    if (!se) return undefined;
    ss.mixKey(se);
    const payload = ss.decryptAndHash(message.subarray(SEALED_KEY_BYTES));
    if (!payload) return undefined;
    this.ss = ss;
    this.step = 'done';
    return { payload, remoteStatic: rs };
  }

  /** After message 3: send under k2, receive under k1. */
  split(): SplitKeys {
    this.expect('done');
    const { send, receive, handshakeHash } = this.ss.split();
    return { send: receive, receive: send, handshakeHash };
  }

  private expect(step: ResponderStep): void {
    if (this.step !== step) throw new Error(`XX responder: ${step} called, but the next step is ${this.step}`);
  }
}

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function hmac(key: Buffer, ...parts: Buffer[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Noise's HKDF (§4.3) with two outputs, HASHLEN = 32 so no truncation. */
function hkdf2(chainingKey: Buffer, ikm: Buffer): [Buffer, Buffer] {
  const tempKey = hmac(chainingKey, ikm);
  const out1 = hmac(tempKey, Buffer.of(0x01));
  const out2 = hmac(tempKey, out1, Buffer.of(0x02));
  return [out1, out2];
}

/** X25519, or undefined for a key OpenSSL refuses: a low-order point gives an all-zero secret (checked again here in case a build lets it through). */
function dh(privateKey: KeyObject, publicKey: Buffer): Buffer | undefined {
  try {
    const shared = diffieHellman({ privateKey, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: publicKey.toString('base64url') }, format: 'jwk' }) });
    return shared.length === DHLEN && shared.some((b) => b !== 0) ? shared : undefined;
  } catch {
    return undefined;
  }
}

function assertFits(messageBytes: number): void {
  if (messageBytes > NOISE_MAX_MESSAGE_BYTES) throw new RangeError(`a Noise message is at most ${NOISE_MAX_MESSAGE_BYTES} bytes`);
}
