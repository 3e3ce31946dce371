import { CallResult, MakeCallRequest } from '../voisa/index.js';
import { defineTool } from './define.js';

export const makeCall = defineTool({
  name: 'make_call',
  title: 'Make phone call',
  toolset: 'calls',
  description:
    'Ring a real phone number with an agent. Never retried automatically; follow it with list_conversations.',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: MakeCallRequest.shape,
  output: CallResult,
  confirm: ({ agent_id, phone_number }) =>
    `Let agent ${agent_id} place a real phone call to ${phone_number}?`,
  run: (args, { api, req }) => api.calls.make(args, req),
});

export const callTools = [makeCall];
