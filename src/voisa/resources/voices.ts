import type { HttpTransport } from '../http.js';
import { buildMultipart } from '../multipart.js';
import { type CreateVoiceFields, Voice, VoiceList } from '../schemas/index.js';
import type { FilePart, RequestOptions } from '../types.js';

export function voicesApi(http: HttpTransport) {
  return {
    /** GET /api/voices/list */
    list: (o?: RequestOptions): Promise<VoiceList> =>
      http.json({ method: 'GET', path: '/api/voices/list' }, VoiceList, o),
    /** POST /api/voice/create, multipart: name, description, one `audio_samples` part per file. */
    create: (b: CreateVoiceFields & { audio_samples: FilePart[] }, o?: RequestOptions): Promise<Voice> => {
      const multipart = buildMultipart([
        { field: 'name', value: b.name },
        { field: 'description', value: b.description },
        ...b.audio_samples.map((file) => ({ field: 'audio_samples', file })),
      ]);
      return http.json({ method: 'POST', path: '/api/voice/create', multipart }, Voice, o);
    },
  };
}
export type VoicesApi = ReturnType<typeof voicesApi>;
