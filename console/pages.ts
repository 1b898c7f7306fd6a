import type { ConsolePage } from './core.js';
import { clientPage } from './views/client.js';
import { clientsPage } from './views/clients.js';
import { myWorkPage } from './views/my-work.js';
import { policyPage } from './views/policy.js';
import { portfolioPage } from './views/portfolio.js';

/**
 * The console's pages, in nav order (console/core.tsx says what a page is; docs/console.md how to
 * add one). A page appears in the nav for the roles its API operations allow.
 */
export const CONSOLE_PAGES: readonly ConsolePage[] = [portfolioPage, clientsPage, clientPage, myWorkPage, policyPage];
