/**
 * `voisa-mcp login`: exchanges an email and password typed in the terminal for
 * an API key (POST /api/get-api-key), verifies it, and stores it for the server.
 * The password never passes through a language model, an argument or a log.
 */

import { DEFAULT_BASE_URL, VoisaClient } from '../voisa/index.js';
import type { Config } from './config.js';
import { writeCredentials } from './credentials.js';
import { askVisible, lineReader, readHidden } from './prompt.js';

export interface LoginIO {
  input: NodeJS.ReadStream;
  output: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export async function login(config: Config, io: LoginIO): Promise<number> {
  const { input, output, env } = io;
  const baseUrl = config.client.baseUrl ?? DEFAULT_BASE_URL;
  let email: string | undefined;
  let password: string | undefined;
  output.write(`Log in to VOISA at ${baseUrl}\n`);
  if (input.isTTY) {
    email = await askVisible(input, output, 'Email: ');
    password = await readHidden(input, output, 'Password: ');
  } else {
    const next = lineReader(input);
    email = await next();
    password = await next();
  }
  if (!email?.trim() || !password) {
    output.write('Email and password are required.\n');
    return 1;
  }
  const client = new VoisaClient({ ...config.client, baseUrl });
  try {
    const issued = await client.auth.getApiKey({ email: email.trim(), password });
    const verified = await client.withApiKey(issued.api_key).auth.verify();
    if (!verified.valid) {
      output.write('VOISA issued a key that does not verify; nothing was stored.\n');
      return 1;
    }
    const file = await writeCredentials(
      {
        api_key: issued.api_key,
        base_url: config.client.baseUrl,
        account_id: verified.account_id,
        permissions: verified.permissions ?? issued.permissions,
        expires_at: issued.expires_at,
        saved_at: new Date().toISOString(),
      },
      env,
    );
    const perms = (verified.permissions ?? issued.permissions ?? []).join(', ') || 'unknown';
    output.write(
      `Logged in${verified.account_id ? ` as ${verified.account_id}` : ''} (permissions: ${perms}).\n`,
    );
    output.write(
      `The API key is stored in ${file} (owner-only). voisa-mcp will use it when VOISA_API_KEY is unset.\n`,
    );
    return 0;
  } catch (err) {
    output.write(`Login failed: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}
