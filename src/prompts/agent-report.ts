/** `agent_report`: analytics and recent calls of one agent, turned into a report with changes to make. */

import type { McpServer } from '@modelcontextprotocol/server';
import { completable } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { IdCompleters } from '../resources/complete.js';
import { guarded } from '../resources/errors.js';
import { type ApiDeps, type Extra, optionsFor, progressFor } from '../resources/request.js';
import { agentUri } from '../resources/uris.js';
import { type ConversationSummary, Id, PERIODS } from '../voisa/index.js';
import { embedded, oncePer, startingWith, UNTRUSTED, userText } from './text.js';

type Period = (typeof PERIODS)[number];

const DAYS: Record<Period, number> = { day: 1, week: 7, month: 30, year: 365 };
/** Conversations fetched per API call, and the most pages read. */
export const REPORT_PAGE_SIZE = 50;
export const REPORT_MAX_PAGES = 4;

/** The arguments, with ids completed through these completers (one set per client). */
const reportArgs = oncePer((ids: IdCompleters) =>
  z.object({
    agent_id: completable(Id.describe('Agent id, e.g. agt_123'), (v) => ids.agentIds(v ?? '')),
    period: completable(z.enum(PERIODS), startingWith(PERIODS))
      .optional()
      .describe('day, week, month (default) or year'),
  }),
);

export function registerAgentReportPrompt(mcp: McpServer, deps: ApiDeps, ids: IdCompleters): void {
  mcp.registerPrompt(
    'agent_report',
    {
      title: 'Agent report',
      description: "Report on an agent's calls over a period, with concrete changes to make.",
      argsSchema: reportArgs(ids),
    },
    ({ agent_id, period = 'month' }, ctx) =>
      guarded(
        agentUri(agent_id),
        async () => {
          const data = await gather(deps, agent_id, period, ctx);
          return {
            description: `Report on agent ${agent_id} (${period})`,
            messages: [
              embedded(agentUri(agent_id), 'application/json', JSON.stringify(data.agent)),
              userText(`Analytics (${period}): ${JSON.stringify(data.analytics)}`),
              userText(
                `Calls since ${data.since} (${data.conversations.length}${data.complete ? '' : '+, the most recent'}): ${JSON.stringify(data.conversations)}`,
              ),
              userText(reportText(agent_id, period)),
            ],
          };
        },
        deps.signIn,
      ),
  );
}

/** Agent, analytics and the period's calls, paging through the list; one progress step per API call. */
async function gather(deps: ApiDeps, agentId: string, period: Period, extra: Extra) {
  const options = optionsFor(deps, extra);
  const progress = progressFor(extra);
  let total = 2 + 1;
  const agent = await deps.api.agents.get(agentId, options);
  progress(1, total, 'agent');
  const analytics = await deps.api.analytics.agent(agentId, { period }, options);
  progress(2, total, 'analytics');
  const since = new Date(Date.now() - DAYS[period] * 86_400_000).toISOString();
  const conversations: ReturnType<typeof row>[] = [];
  let complete = false;
  for (let page = 1; page <= REPORT_MAX_PAGES; page++) {
    const r = await deps.api.conversations.list(
      { agent_id: agentId, date_from: since, page, limit: REPORT_PAGE_SIZE },
      options,
    );
    conversations.push(...r.conversations.map(row));
    const pages = r.pagination?.pages ?? (r.conversations.length < REPORT_PAGE_SIZE ? page : page + 1);
    complete = page >= pages;
    total = 2 + Math.min(pages, REPORT_MAX_PAGES);
    progress(2 + page, total, `calls page ${page}`);
    if (complete) break;
  }
  return { agent, analytics, since: since.slice(0, 10), conversations, complete };
}

/** The fields of a call that a report needs. */
function row(c: ConversationSummary) {
  return {
    id: c.id,
    started_at: c.started_at,
    status: c.status,
    duration: c.duration,
    sentiment: c.sentiment,
    summary: c.summary,
  };
}

export function reportText(agentId: string, period: Period): string {
  return `Write a ${period} report on agent ${agentId} from the config, analytics and calls above. ${UNTRUSTED}

1. Headline: calls, success rate, average duration, sentiment split, and the trend over the timeline.
2. What callers want: the top intents, and the ones the agent handles badly.
3. Failures: group failed and negative calls by cause. Read the transcripts of the 2-3 worst (resource voisa://conversations/{id}/transcript, or the review_conversation prompt) before naming a cause.
4. Changes to make, most impact first: exact edits to the system prompt or first message (quote the new text), knowledge-base items to add, tools to assign, voice or turn-detection settings. For each: the problem it fixes and the number to watch next ${period}.
Change nothing without my approval.`;
}
