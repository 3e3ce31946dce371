/**
 * The API key stored by `voisa-mcp login`: a JSON file in the user's config
 * directory, readable by its owner only (folder 0700, file 0600).
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

export interface StoredCredentials {
  api_key: string;
  base_url?: string;
  account_id?: string;
  permissions?: string[];
  expires_at?: string;
  saved_at: string;
}

/** `$VOISA_CONFIG_DIR`, else `$XDG_CONFIG_HOME/voisa-mcp`, `%APPDATA%\voisa-mcp`, or `~/.config/voisa-mcp`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VOISA_CONFIG_DIR) return env.VOISA_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, 'voisa-mcp');
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'voisa-mcp');
  return path.join(homedir(), '.config', 'voisa-mcp');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'credentials.json');
}

export async function readCredentials(
  env: NodeJS.ProcessEnv = process.env,
): Promise<StoredCredentials | undefined> {
  try {
    const parsed = JSON.parse(await readFile(credentialsPath(env), 'utf8')) as Partial<StoredCredentials>;
    return typeof parsed.api_key === 'string' && parsed.api_key ? (parsed as StoredCredentials) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeCredentials(
  creds: StoredCredentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700).catch(() => {});
  const file = credentialsPath(env);
  await writeFile(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}

export async function deleteCredentials(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = credentialsPath(env);
  try {
    await rm(file);
    return true;
  } catch {
    return false;
  }
}
