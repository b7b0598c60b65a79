// Byte-level UTF-8 helpers for reading a console log at arbitrary offsets: a read that starts or
// ends inside a multi-byte character must not turn it into replacement characters. Bytes that are
// simply not UTF-8 (a guest printing binary to its serial port) are left to the decoder's U+FFFD.

/** True for a UTF-8 continuation byte (10xxxxxx). */
export function isContinuationByte(byte: number): boolean {
  return (byte & 0xc0) === 0x80;
}

/** The length a sequence starting with this lead byte claims; 1 for ASCII and for invalid bytes. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) === 0xc0) return 2;
  if ((lead & 0xf0) === 0xe0) return 3;
  if ((lead & 0xf8) === 0xf0) return 4;
  return 1;
}

/**
 * How many of the first `length` bytes end on a character boundary: `length`, or less when the last
 * character is cut short (its remaining bytes are not written yet or lie beyond this read).
 */
export function completePrefixLength(buf: Uint8Array, length = buf.length): number {
  // A lead byte is at most 3 bytes before the end of an incomplete sequence.
  for (let i = length - 1; i >= 0 && i >= length - 4; i--) {
    const byte = buf[i]!;
    if (isContinuationByte(byte)) continue;
    return i + sequenceLength(byte) > length ? i : length;
  }
  // Four continuation bytes in a row: not UTF-8 anyway; let the decoder replace them.
  return length;
}

/** How many leading bytes continue a character that started before this read (at most 3). */
export function leadingContinuationBytes(buf: Uint8Array, length = buf.length): number {
  let n = 0;
  while (n < 3 && n < length && isContinuationByte(buf[n]!)) n++;
  return n;
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Decodes whole characters; invalid bytes become U+FFFD, as a terminal would show them. */
export function decodeUtf8(buf: Uint8Array): string {
  return decoder.decode(buf);
}
