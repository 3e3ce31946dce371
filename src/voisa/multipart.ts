/**
 * multipart/form-data bodies built by hand, so that
 * - the length is known up front (`content-length`, no chunked encoding),
 * - the body can be re-created for a retry (`chunks()` starts over each time),
 * - upload progress counts real bytes as undici pulls them.
 */
import { randomBytes } from 'node:crypto';
import type { FilePart } from './types.js';

/** Chunk size handed to the socket; progress is reported per chunk. */
export const UPLOAD_CHUNK_BYTES = 64 * 1024;

export interface MultipartBody {
  contentType: string;
  length: number;
  /** A fresh body stream; calls `onProgress(sent, total)` with 0 first and `total` last. */
  chunks(onProgress?: (sentBytes: number, totalBytes: number) => void): AsyncIterable<Uint8Array>;
}

export type MultipartEntry =
  | { field: string; value: string | number | boolean | undefined }
  | { field: string; file: FilePart };

export function buildMultipart(entries: MultipartEntry[]): MultipartBody {
  const boundary = `----voisa-mcp-${randomBytes(12).toString('hex')}`;
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    if ('file' in entry) {
      const { file } = entry;
      const head =
        `--${boundary}\r\n` +
        `Content-Disposition: form-data; name="${escapeName(entry.field)}"; filename="${escapeName(file.name)}"\r\n` +
        `Content-Type: ${headerSafe(file.contentType ?? 'application/octet-stream')}\r\n\r\n`;
      parts.push(encoder.encode(head), file.data, encoder.encode('\r\n'));
    } else if (entry.value !== undefined) {
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(entry.field)}"\r\n\r\n`;
      parts.push(encoder.encode(`${head}${String(entry.value)}\r\n`));
    }
  }
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  const length = parts.reduce((sum, p) => sum + p.byteLength, 0);

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    async *chunks(onProgress) {
      let sent = 0;
      onProgress?.(0, length);
      for (const part of parts) {
        for (let offset = 0; offset < part.byteLength; offset += UPLOAD_CHUNK_BYTES) {
          const chunk = part.subarray(offset, Math.min(offset + UPLOAD_CHUNK_BYTES, part.byteLength));
          yield chunk;
          // Resumed: undici has taken the previous chunk.
          sent += chunk.byteLength;
          if (sent < length) onProgress?.(sent, length);
        }
      }
      onProgress?.(length, length);
    },
  };
}

/** Field and file names as the WHATWG form encoder writes them: quote and line breaks escaped. */
function escapeName(name: string): string {
  return name.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
}

function headerSafe(value: string): string {
  return value.replace(/[\r\n]/g, '');
}
