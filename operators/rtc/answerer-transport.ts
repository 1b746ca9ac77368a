/**
 * How holots' werift peer connections answer an offer: the two transport settings that werift's defaults
 * get wrong for a server, in one place for every operator that answers (WebRTCClientOp's sessions,
 * WebRTCServerOp's viewers). Call between setRemoteDescription (which creates the transports) and
 * createAnswer / setLocalDescription (which writes a=setup and starts gathering).
 *
 * Typed structurally, so this module needs nothing from werift at run time.
 */

/** An offer's a=setup values (RFC 5763: which side runs the DTLS client); absent means actpass. */
export const DTLS_SETUPS = ['actpass', 'active', 'passive'] as const;
export type DtlsSetup = (typeof DTLS_SETUPS)[number];

interface AnsweringTransceiver {
  dtlsTransport: {
    role: 'auto' | 'client' | 'server';
    iceTransport: { connection: { stunServer?: unknown } };
  };
}

interface AnsweringPeerConnection {
  getTransceivers(): readonly AnsweringTransceiver[];
}

/**
 * - **No STUN server unless one is configured.** werift's ICE agent falls back to stun.l.google.com:19302
 *   when it is given none (`Connection.applyStunTurnServersFromOptions`), so with an empty `ice_servers`
 *   every session would still look up and query Google's server, and an answer that waits for complete
 *   gathering (the seed's `/offer`) would wait for it: up to werift's 5 s STUN timeout where outgoing UDP
 *   is blocked. Host candidates are what a LAN and loopback need; a STUN or TURN server is the user's
 *   choice, in `ice_servers`.
 * - **The DTLS server's side (a=setup:passive) unless the offerer wants it.** As the DTLS client
 *   (werift's choice for an answerer, a=setup:active, whatever the offer says) werift waits a fixed 100 ms
 *   before its ClientHello (`RTCDtlsTransport.start`); as the server it answers the offerer's ClientHello
 *   at once, and a session connects 60-80 ms after ICE instead of 120-130 (measured with Chromium on
 *   loopback). RFC 5763 recommends active only so the handshake can start before the answer reaches the
 *   offerer; here the answer is out before ICE has checked a pair, so passive costs nothing. An offer of
 *   a=setup:active leaves us only the server's side, and one of a=setup:passive only the client's.
 *   The server also picks the SRTP profile: werift picks AEAD_AES_128_GCM (one cipher a packet), where
 *   Chromium as the server picked AES_CM_128_HMAC_SHA1_80 (a cipher and an HMAC a packet); werift's
 *   decrypt and parse of a packet cost 0.88-1.07x as much across seven runs (`npm run bench:receive-path`):
 *   no difference to count on.
 */
export function prepareAnswererTransports(pc: AnsweringPeerConnection, opts: { stunConfigured: boolean; offerSetup: DtlsSetup }): void {
  for (const t of pc.getTransceivers()) {
    const dtls = t.dtlsTransport;
    if (!opts.stunConfigured) dtls.iceTransport.connection.stunServer = undefined;
    dtls.role = opts.offerSetup === 'passive' ? 'client' : 'server';
  }
}

/** Whether an ice_servers list names a STUN server (a TURN server alone does not make werift use STUN). */
export function namesStunServer(servers: readonly (string | { urls: string | readonly string[] })[]): boolean {
  return servers.some((s) => (typeof s === 'string' ? [s] : typeof s.urls === 'string' ? [s.urls] : s.urls).some((u) => /^stuns?:/i.test(u)));
}
