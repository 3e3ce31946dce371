import { z } from 'zod';

export const Voice = z.looseObject({
  id: z.string(),
  name: z.string(),
  language: z.string().optional(),
  gender: z.string().optional(),
  preview_url: z.string().nullish(),
});
export type Voice = z.infer<typeof Voice>;

export const VoiceList = z.looseObject({ voices: z.array(Voice) });
export type VoiceList = z.infer<typeof VoiceList>;

/** Multipart fields of `POST /api/voice/create` besides the `audio_samples` files. */
export const CreateVoiceFields = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional().describe('What the voice is for'),
});
export type CreateVoiceFields = z.infer<typeof CreateVoiceFields>;
