import { RtcpPacketConverter } from 'werift';

/**
 * Splits a compound RTCP buffer (RFC 3550 §6.1) into its packets by their length fields.
 * Stops at a truncated or malformed tail: what was whole before it is still returned.
 */
export function splitCompoundRtcp(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 4 <= data.length) {
    if (data[pos] >> 6 !== 2) break;
    const size = (data.readUInt16BE(pos + 2) + 1) * 4;
    if (pos + size > data.length) break;
    out.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

let installed = false;

/**
 * werift 0.25 parses a compound RTCP buffer by handing each packet the *rest* of the buffer, so a NACK
 * followed by a REMB reads the REMB's bytes as more lost sequence numbers (findings trap 1: one loss read
 * as [35582, 36814, 0, 1, ...], and werift retransmits or ignores nonsense). Its DTLS transport calls
 * `RtcpPacketConverter.deSerialize` on the whole decrypted compound, and there is no hook in between,
 * so the one place to split first is that static method: it is wrapped here, once per process, to parse
 * each packet of the compound on its own. It changes nothing for a single packet.
 */
export function installCompoundRtcpSplit(): void {
  if (installed) return;
  installed = true;
  const parseOne = RtcpPacketConverter.deSerialize.bind(RtcpPacketConverter);
  RtcpPacketConverter.deSerialize = (data: Buffer) => splitCompoundRtcp(data).flatMap((p) => parseOne(p));
}
