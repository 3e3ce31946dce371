import type { HttpTransport } from '../http.js';
import { buildMultipart } from '../multipart.js';
import {
  Ack,
  type AddKbTextRequest,
  type AddKbUrlRequest,
  KbItem,
  KbList,
  type ListKbQuery,
  type UploadKbFileFields,
} from '../schemas/index.js';
import type { FilePart, RequestOptions } from '../types.js';
import { seg } from './path.js';

export function knowledgeBaseApi(http: HttpTransport) {
  return {
    /** GET /api/knowledge-base/list */
    list: (q?: ListKbQuery, o?: RequestOptions): Promise<KbList> =>
      http.json({ method: 'GET', path: '/api/knowledge-base/list', query: q }, KbList, o),
    /** POST /api/knowledge-base/text */
    addText: (b: AddKbTextRequest, o?: RequestOptions): Promise<KbItem> =>
      http.json({ method: 'POST', path: '/api/knowledge-base/text', json: b }, KbItem, o),
    /** POST /api/knowledge-base/url */
    addUrl: (b: AddKbUrlRequest, o?: RequestOptions): Promise<KbItem> =>
      http.json({ method: 'POST', path: '/api/knowledge-base/url', json: b }, KbItem, o),
    /** POST /api/knowledge-base/file, multipart: agent_id, category, file. */
    uploadFile: (b: UploadKbFileFields & { file: FilePart }, o?: RequestOptions): Promise<KbItem> => {
      const multipart = buildMultipart([
        { field: 'agent_id', value: b.agent_id },
        { field: 'category', value: b.category },
        { field: 'file', file: b.file },
      ]);
      return http.json({ method: 'POST', path: '/api/knowledge-base/file', multipart }, KbItem, o);
    },
    /** DELETE /api/knowledge-base/{id} */
    delete: (itemId: string, o?: RequestOptions): Promise<Ack> =>
      http.json({ method: 'DELETE', path: `/api/knowledge-base/${seg(itemId)}` }, Ack, o),
  };
}
export type KnowledgeBaseApi = ReturnType<typeof knowledgeBaseApi>;
