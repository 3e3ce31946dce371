/**
 * Local file access for tools that read (`file_path`) or write (`save_to`) files.
 *
 * Rules: a path must resolve, symlinks followed, inside an allowed folder. Over
 * stdio the allowed folders are the client's MCP roots when it declares any,
 * else the working directory; over HTTP only the folder named by
 * `--allow-file-access`, and none without it. Files are capped in size.
 */
import { readFile, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export class FileAccessError extends Error {
  override readonly name = 'FileAccessError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface FileAccess {
  /** Reads a local file the rules allow; `field` names the tool argument in errors. */
  read(filePath: string, field: string): Promise<{ name: string; data: Buffer }>;
  /** Writes a local file the rules allow (its folder must exist); returns the resolved path. */
  write(filePath: string, data: Uint8Array, field: string): Promise<string>;
}

export interface FileAccessOptions {
  /** `roots`: the client's roots, else the working directory. `dir`: one folder. `off`: refused. */
  mode: 'roots' | 'dir' | 'off';
  dir?: string;
  maxBytes: number;
  cwd?: string;
  /** Asks the client for its roots (file:// URIs); undefined when it declares no roots capability. */
  listRoots?: () => Promise<string[] | undefined>;
}

export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function realOrNull(p: string): Promise<string | null> {
  try {
    return await realpath(p);
  } catch {
    return null;
  }
}

export function createFileAccess(opts: FileAccessOptions): FileAccess {
  const cwd = opts.cwd ?? process.cwd();

  async function allowedFolders(field: string): Promise<{ folders: string[]; label: string }> {
    if (opts.mode === 'off') {
      throw new FileAccessError(
        `${field}: local files are disabled on this server (HTTP mode). Send the content as base64 instead, or start the server with --allow-file-access DIR.`,
        field,
      );
    }
    if (opts.mode === 'dir') {
      const dir = await realOrNull(opts.dir ?? '');
      if (!dir)
        throw new FileAccessError(`${field}: the allowed folder does not exist on the server.`, field);
      return { folders: [dir], label: 'the allowed folder' };
    }
    const roots = await opts.listRoots?.().catch(() => undefined);
    const fileRoots = (roots ?? []).filter((r) => r.startsWith('file://')).map((r) => fileURLToPath(r));
    if (fileRoots.length > 0) {
      const real = (await Promise.all(fileRoots.map(realOrNull))).filter((r): r is string => r !== null);
      return { folders: real, label: "the client's roots" };
    }
    return { folders: [(await realOrNull(cwd)) ?? cwd], label: "the server's working directory" };
  }

  type Allowed = Awaited<ReturnType<typeof allowedFolders>>;

  function check({ folders, label }: Allowed, resolved: string, field: string, shown: string): void {
    if (!folders.some((f) => isInside(resolved, f))) {
      throw new FileAccessError(
        `${field}: ${shown} is outside ${label} (${folders.join(', ') || 'none'}); use a path inside it or send base64 content.`,
        field,
      );
    }
  }

  return {
    async read(filePath, field) {
      const allowed = await allowedFolders(field); // refuses first when file access is off: reveals nothing of the disk
      const absolute = path.resolve(cwd, filePath);
      const resolved = await realOrNull(absolute);
      if (!resolved) throw new FileAccessError(`${field}: no such file: ${filePath}`, field);
      check(allowed, resolved, field, filePath);
      const info = await stat(resolved);
      if (!info.isFile()) throw new FileAccessError(`${field}: ${filePath} is not a regular file`, field);
      if (info.size > opts.maxBytes) {
        throw new FileAccessError(
          `${field}: ${filePath} is ${info.size} bytes, over the ${opts.maxBytes}-byte limit`,
          field,
        );
      }
      return { name: path.basename(resolved), data: await readFile(resolved) };
    },

    async write(filePath, data, field) {
      const allowed = await allowedFolders(field);
      const absolute = path.resolve(cwd, filePath);
      const folder = await realOrNull(path.dirname(absolute));
      if (!folder) throw new FileAccessError(`${field}: the folder of ${filePath} does not exist`, field);
      const target = path.join(folder, path.basename(absolute));
      // A symlink at the target itself must point inside the allowed folders too.
      const existing = await realOrNull(target);
      check(allowed, existing ?? target, field, filePath);
      await writeFile(existing ?? target, data);
      return existing ?? target;
    },
  };
}
