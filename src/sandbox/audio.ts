/**
 * Recordings: real MPEG-1 Layer III frames of silence. Header FF FB 18 C4 =
 * MPEG-1, Layer III, no CRC, 32 kbps, 32 kHz, no padding, mono → 144-byte frames
 * of 1152 samples (36 ms) each.
 */
const FRAME_BYTES = 144;
const FRAME_SECONDS = 1152 / 32_000;
const HEADER = [0xff, 0xfb, 0x18, 0xc4];
/** Cap: ~288 KB (about 72 s of audio). Longer calls are truncated. */
export const MAX_FRAMES = 2000;

function silentFrame(): Buffer {
  const f = Buffer.alloc(FRAME_BYTES);
  for (let i = 0; i < HEADER.length; i++) f[i] = HEADER[i] as number;
  return f;
}
const FRAME = silentFrame();

export function frameCount(durationSec: number): number {
  return Math.max(1, Math.min(MAX_FRAMES, Math.ceil(durationSec / FRAME_SECONDS)));
}

/** Yields the recording in chunks of `framesPerChunk` frames. */
export function* audioChunks(durationSec: number, framesPerChunk = 128): Generator<Buffer> {
  let left = frameCount(durationSec);
  while (left > 0) {
    const n = Math.min(framesPerChunk, left);
    yield Buffer.concat(Array.from({ length: n }, () => FRAME));
    left -= n;
  }
}

export function audioSize(durationSec: number): number {
  return frameCount(durationSec) * FRAME_BYTES;
}
