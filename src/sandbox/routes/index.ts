import type { Route } from '../context.js';
import { agentRoutes } from './agents.js';
import { authRoutes } from './auth.js';
import { callRoutes } from './calls.js';
import { conversationRoutes } from './conversations.js';
import { kbRoutes } from './knowledge-base.js';
import { miscRoutes } from './misc.js';

/** Every API route; fixed paths come before `:param` patterns of the same shape. */
export const ROUTES: Route[] = [
  ...authRoutes,
  ...agentRoutes,
  ...kbRoutes,
  ...conversationRoutes,
  ...callRoutes,
  ...miscRoutes,
];
