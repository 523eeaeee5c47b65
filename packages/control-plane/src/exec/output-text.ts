// How captured output goes into an exec result: UTF-8 text when it is valid UTF-8, else base64 in
// the `_base64` field and an empty text, never a mangled string. A cut at the output limit may
// split the last character; those few bytes are dropped so the rest still reads as text.

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bytes of a trailing multi-byte character cut short, or 0. */
function partialTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.byteLength); back += 1) {
    const byte = bytes[bytes.byteLength - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

export interface OutputText {
  text: string;
  base64?: string;
}

export function outputText(bytes: Buffer, truncated: boolean): OutputText {
  const whole = truncated ? bytes.subarray(0, bytes.byteLength - partialTail(bytes)) : bytes;
  try {
    return { text: decoder.decode(whole) };
  } catch {
    // Not UTF-8: the bytes go out exactly as they are, in base64 (the point of the field).
    return { text: '', base64: bytes.toString('base64') };
  }
}
