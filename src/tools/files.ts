/**
 * Local file access for tools that read (`file_path`) or write (`save_to`) files.
 *
 * Rules: a path must resolve, symlinks followed, inside an allowed folder. Over
 * stdio the allowed folders are the client's MCP roots when it declares any,
 * else the working directory; over HTTP only the folder named by
 * `--allow-file-access`, and none without it. Files are capped in size.
 *
 * Only regular files are read or written. Reads resolve symlinks (the target
 * must be inside); writes refuse a symlink at the target, so a dangling link
 * cannot create a file elsewhere. Every open is O_NOFOLLOW | O_NONBLOCK and
 * checked with fstat on the descriptor, so a FIFO or device never blocks a
 * libuv thread and a file swapped in after the check is still refused.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath, unlink } from 'node:fs/promises';
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

/**
 * The largest JSON-RPC message a transport must accept so that a file at the cap
 * fits as `content_base64`: its base64 (4 bytes per 3) plus 1 MiB for the rest.
 */
export const MAX_MESSAGE_BYTES = Math.ceil(DEFAULT_MAX_FILE_BYTES / 3) * 4 + 1024 * 1024;

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
      const fh = await openChecked(resolved, constants.O_RDONLY, field, filePath);
      try {
        const info = await fh.stat();
        if (!info.isFile()) throw notRegular(field, filePath, info);
        const tooBig = (size: number) =>
          new FileAccessError(
            `${field}: ${filePath} is ${size} bytes, over the ${opts.maxBytes}-byte limit`,
            field,
          );
        if (info.size > opts.maxBytes) throw tooBig(info.size);
        // Read through the checked descriptor, bounded: the file may have grown since fstat.
        const data = await readUpTo(fh, opts.maxBytes + 1);
        if (data.length > opts.maxBytes) throw tooBig(data.length);
        return { name: path.basename(resolved), data };
      } finally {
        await fh.close();
      }
    },

    async write(filePath, data, field) {
      const allowed = await allowedFolders(field);
      const absolute = path.resolve(cwd, filePath);
      const name = path.basename(absolute);
      if (!name) throw new FileAccessError(`${field}: ${filePath} is not a file path`, field);
      const folder = await realOrNull(path.dirname(absolute));
      if (!folder) throw new FileAccessError(`${field}: the folder of ${filePath} does not exist`, field);
      // The folder is real (symlinks resolved) and the name is taken literally: whatever sits
      // there must be a regular file or nothing. A symlink is refused, dangling or not.
      const target = path.join(folder, name);
      check(allowed, target, field, filePath);
      const existing = await lstat(target).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw fsError(err, field, filePath);
      });
      if (existing && !existing.isFile()) throw notRegular(field, filePath, existing);
      if (existing && existing.nlink > 1) {
        throw new FileAccessError(
          `${field}: ${filePath} has other hard links, so writing it would change a file elsewhere; choose a new file name`,
          field,
        );
      }

      // A new file: O_EXCL fails on anything that appeared meanwhile, symlinks included.
      // An existing one: opened without following links, checked to be the same file, then truncated.
      const flags = existing ? constants.O_WRONLY : constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
      const fh = await openChecked(target, flags, field, filePath);
      try {
        const info = await fh.stat();
        if (existing && (info.dev !== existing.dev || info.ino !== existing.ino)) {
          throw new FileAccessError(`${field}: ${filePath} changed while it was opened; try again`, field);
        }
        if (!info.isFile()) throw notRegular(field, filePath, info);
        if (existing) await fh.truncate(0);
        await fh.writeFile(data);
      } catch (err) {
        await fh.close();
        if (!existing) await unlink(target).catch(() => {});
        throw err instanceof FileAccessError ? err : fsError(err as NodeJS.ErrnoException, field, filePath);
      }
      await fh.close();
      return target;
    },
  };
}

/** Opens without following a final symlink and without blocking on FIFOs or devices. */
async function openChecked(p: string, flags: number, field: string, shown: string): Promise<FileHandle> {
  try {
    return await open(p, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
  } catch (err) {
    throw fsError(err as NodeJS.ErrnoException, field, shown);
  }
}

async function readUpTo(fh: FileHandle, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const buf = Buffer.alloc(Math.min(1024 * 1024, limit - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
  }
  return Buffer.concat(chunks, total);
}

function kind(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function notRegular(field: string, shown: string, info: Stats): FileAccessError {
  return new FileAccessError(
    `${field}: ${shown} is ${kind(info)}; only regular files are read or written (give the path of a regular file, or a new file name)`,
    field,
  );
}

/** Turns what open/write can raise into an input error that names the field. */
function fsError(err: NodeJS.ErrnoException, field: string, shown: string): FileAccessError {
  const why: Record<string, string> = {
    ELOOP: 'is a symbolic link; only regular files are written',
    EEXIST: 'appeared while it was being created; try again',
    ENXIO: 'is not a regular file',
    EISDIR: 'is a folder',
    ENOENT: 'does not exist',
    EACCES: 'is not accessible (permission denied)',
    EPERM: 'is not accessible (operation not permitted)',
    ENOSPC: 'could not be written: the disk is full',
    EROFS: 'is on a read-only file system',
  };
  const reason = (err.code && why[err.code]) ?? `could not be opened (${err.code ?? err.message})`;
  return new FileAccessError(`${field}: ${shown} ${reason}`, field);
}
