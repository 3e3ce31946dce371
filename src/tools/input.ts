/** Shared pieces of tool input schemas, declared once. */
import { z } from 'zod';
import type { FilePart } from '../voisa/index.js';
import type { ToolContext } from './define.js';

/** A tool argument that is wrong in a way its schema cannot express; nothing is sent upstream. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A call the tool cannot carry out as asked, for a reason other than a bad argument (the client lacks a
 * capability it needs): the result names `code`, why, and what to do instead. Nothing was run.
 */
export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One file, given either inline (base64 with a name) or as a local path. No union: some clients reject them. */
export const FileInput = {
  file_path: z.string().min(1).optional().describe('Local file path (stdio only)'),
  content_base64: z.string().min(1).optional().describe('Or the file content, base64'),
  file_name: z.string().min(1).max(255).optional().describe('File name (with content_base64)'),
};
export const FileInputObject = z.object(FileInput);
export type FileInputArgs = z.infer<typeof FileInputObject>;

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}$/;

/** Turns a FileInput into the bytes and name to upload, applying the local-file rules. */
export async function loadFile(arg: FileInputArgs, ctx: ToolContext, field: string): Promise<FilePart> {
  if (arg.file_path && arg.content_base64) {
    throw new InputError(field, 'give either file_path or content_base64, not both');
  }
  if (arg.file_path) {
    const { name, data } = await ctx.files.read(arg.file_path, `${field}.file_path`);
    return { name: arg.file_name ?? name, data };
  }
  if (arg.content_base64) {
    if (!arg.file_name)
      throw new InputError(`${field}.file_name`, 'file_name is required with content_base64');
    if (!BASE64.test(arg.content_base64))
      throw new InputError(`${field}.content_base64`, 'is not valid base64');
    return { name: arg.file_name, data: Buffer.from(arg.content_base64, 'base64') };
  }
  throw new InputError(field, 'give file_path (a local file) or content_base64 with file_name');
}
