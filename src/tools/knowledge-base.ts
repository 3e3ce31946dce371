import {
  Ack,
  AddKbTextRequest,
  AddKbUrlRequest,
  KbItem,
  KbItemId,
  KbList,
  ListKbQuery,
  UploadKbFileFields,
} from '../voisa/index.js';
import { defineTool, READ_ONLY } from './define.js';
import { FileInput, loadFile } from './input.js';

const ADD = { readOnlyHint: false, destructiveHint: false, idempotentHint: false } as const;

export const listKbItems = defineTool({
  name: 'list_kb_items',
  title: 'List knowledge-base items',
  toolset: 'knowledge_base',
  description: 'Knowledge-base items (documents, URLs, texts), optionally of one agent or type.',
  annotations: READ_ONLY,
  input: ListKbQuery.shape,
  output: KbList,
  untrusted: true,
  run: (args, { api, req }) => api.knowledgeBase.list(args, req),
});

export const addKbText = defineTool({
  name: 'add_kb_text',
  title: 'Add knowledge-base text',
  toolset: 'knowledge_base',
  description: "Add a text snippet (hours, prices, policies) to an agent's knowledge base.",
  annotations: { ...ADD, openWorldHint: false },
  input: AddKbTextRequest.shape,
  output: KbItem,
  run: (args, { api, req }) => api.knowledgeBase.addText(args, req),
});

export const addKbUrl = defineTool({
  name: 'add_kb_url',
  title: 'Add knowledge-base URL',
  toolset: 'knowledge_base',
  description: "Add a web page that VOISA crawls into an agent's knowledge base.",
  annotations: { ...ADD, openWorldHint: true },
  input: AddKbUrlRequest.shape,
  output: KbItem,
  run: (args, { api, req }) => api.knowledgeBase.addUrl(args, req),
});

export const uploadKbFile = defineTool({
  name: 'upload_kb_file',
  title: 'Upload knowledge-base file',
  toolset: 'knowledge_base',
  description: "Upload a document (PDF, DOCX, TXT…) to an agent's knowledge base.",
  annotations: { ...ADD, openWorldHint: false },
  input: {
    agent_id: UploadKbFileFields.shape.agent_id.describe('Agent that will know this'),
    category: UploadKbFileFields.shape.category.describe('e.g. policies'),
    ...FileInput,
  },
  output: KbItem,
  async run({ agent_id, category, ...file }, ctx) {
    const part = await loadFile(file, ctx, 'file');
    return ctx.api.knowledgeBase.uploadFile({ agent_id, category, file: part }, ctx.req);
  },
});

export const deleteKbItem = defineTool({
  name: 'delete_kb_item',
  title: 'Delete knowledge-base item',
  toolset: 'knowledge_base',
  description: 'Delete a knowledge-base item. Cannot be undone.',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  input: { item_id: KbItemId },
  output: Ack,
  confirm: ({ item_id }) => `Delete the knowledge-base item ${item_id}? This cannot be undone.`,
  run: ({ item_id }, { api, req }) => api.knowledgeBase.delete(item_id, req),
});

export const knowledgeBaseTools = [listKbItems, addKbText, addKbUrl, uploadKbFile, deleteKbItem];
