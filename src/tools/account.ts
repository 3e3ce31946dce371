import { VerifyResult } from '../voisa/index.js';
import { defineTool, READ_ONLY } from './define.js';

export const verifyApiKey = defineTool({
  name: 'verify_api_key',
  title: 'Verify API key',
  toolset: 'account',
  description: 'Check the VOISA API key: validity, account id, permissions.',
  annotations: { ...READ_ONLY, idempotentHint: true },
  input: {},
  output: VerifyResult,
  run: (_args, { api, req }) => api.auth.verify(req),
});

export const accountTools = [verifyApiKey];
