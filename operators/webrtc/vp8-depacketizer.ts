/**
 * VP8 RTP payloads (RFC 7741) of one frame to the VP8 frame the decoder takes, in one pass into one buffer.
 *
 * Why not werift's `dePacketizeRtpPackets('VP8')`, which gives the same bytes: it reads each payload
 * descriptor's bits through strings (`getBit`: toString(2), split, join, parseInt; ten or more calls a
 * packet), builds an object per packet and concatenates at the end. Here the 14 packets of a 720p frame at
 * a webcam's bitrate take 0.07-0.32x werift's time (`npm run bench:receive-path`).
 */

import { joinAfterDescriptors, type DepacketizedFrame, type PayloadDescriptor } from './descriptor-payloads.ts';

/** The payload descriptor's first octet: X (extended control bits follow), S (start of a partition), PID. */
const X = 0x80;
const S = 0x10;
const PID = 0x07;
/** The extended control bits: I (picture ID), L (TL0PICIDX), T (TID), K (KEYIDX). */
const I = 0x80;
const L = 0x40;
const T = 0x20;
const K = 0x10;
/** In the picture ID's first octet: M, a 15-bit picture ID. */
const M = 0x80;

/** Reads a payload descriptor; throws when it runs past the payload. */
export function readVp8Descriptor(p: Uint8Array): PayloadDescriptor {
  if (p.length < 1) throw new Error('VP8: empty payload');
  const b0 = p[0];
  let at = 1;
  if (b0 & X) {
    if (p.length < 2) throw new Error('VP8: payload descriptor cut after its first octet');
    const x = p[at++];
    if (x & I) at += at < p.length && p[at] & M ? 2 : 1;
    if (x & L) at++;
    if (x & (T | K)) at++;
  }
  if (at > p.length) throw new Error(`VP8: payload descriptor of ${at} bytes in a ${p.length}-byte payload`);
  const startsFrame = (b0 & S) !== 0 && (b0 & PID) === 0;
  // The first packet of a frame starts with the VP8 payload header: P (its lowest bit) is 0 on a keyframe.
  return { offset: at, startsFrame, keyframe: startsFrame && at < p.length && (p[at] & 0x01) === 0 };
}

/**
 * One frame's payloads, in order. The frame is a keyframe when its first partition's first packet has a
 * VP8 payload header whose P bit (the lowest of its first octet) is 0. Throws on a malformed descriptor;
 * the assembler then drops the frame and asks for a keyframe.
 */
export function depacketizeVp8(payloads: readonly Uint8Array[]): DepacketizedFrame {
  return joinAfterDescriptors(payloads, readVp8Descriptor);
}
