import express, { type Request, type Response, type Router } from 'express';
import type Provider from 'oidc-provider';
import type { ResolvedClient, ResolvedLabConfig } from '../config/resolve.js';
import type { Logger } from '../log.js';
import type { Accounts } from './accounts.js';
import type { FlavourSpec } from './flavours.js';
import { renderLoginPage } from './login-page.js';
import { subjectOf } from './mint.js';

export interface LoginRoutesDeps {
  /** The current provider (it is rebuilt when keys rotate). */
  provider: () => Provider;
  config: ResolvedLabConfig;
  spec: FlavourSpec;
  accounts: Accounts;
  clients: Map<string, ResolvedClient>;
  log: Logger;
}

const EXPIRED = 'Login session expired or unknown. Start the login again.';

/**
 * The login interaction oidc-provider sends browsers to: GET shows the page, POST checks the password (or the
 * picked lab user) and finishes login and consent in one step, as Dex does (no separate consent screen).
 */
export function loginRoutes(deps: LoginRoutesDeps): Router {
  const { spec, accounts, clients, config } = deps;
  const router = express.Router();
  const route = `${spec.routes.interaction}/:uid`;

  async function details(req: Request, res: Response) {
    try {
      return await deps.provider().interactionDetails(req, res);
    } catch {
      // An unknown or expired interaction (or its cookie is gone): the flow must start over.
      res.status(400).type('text/plain').send(EXPIRED);
      return undefined;
    }
  }

  async function show(req: Request, res: Response, state: { failed?: boolean; login?: string }) {
    const interaction = await details(req, res);
    if (!interaction) return;
    const client = clients.get(String(interaction.params.client_id));
    res
      .status(state.failed ? 401 : 200)
      .type('html')
      .send(
        renderLoginPage({
          flavour: spec.name,
          action: `${config.idp.issuerPath}${spec.routes.interaction}/${interaction.uid}`,
          clientName: client?.name ?? String(interaction.params.client_id),
          users: accounts.list(),
          ...(state.login !== undefined && { login: state.login }),
          ...(state.failed && { failed: true }),
        }),
      );
  }

  router.get(route, (req, res) => show(req, res, {}));
  router.post(route, express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const interaction = await details(req, res);
    if (!interaction) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const pick = typeof body.pick === 'string' ? body.pick : undefined;
    const login = typeof body.login === 'string' ? body.login : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const user = pick !== undefined ? accounts.byName(pick) : accounts.byLogin(login);
    const ok = user !== undefined && (pick !== undefined || (await accounts.checkPassword(user, password)));
    if (!ok) return show(req, res, { failed: true, login });

    const provider = deps.provider();
    const sub = subjectOf(config, { kind: 'user', user });
    const grant = new provider.Grant({ accountId: sub, clientId: String(interaction.params.client_id) });
    grant.addOIDCScope(String(interaction.params.scope ?? 'openid'));
    const grantId = await grant.save();
    deps.log.debug(`login: ${user.name} for ${String(interaction.params.client_id)}`);
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: sub }, consent: { grantId } },
      {
        mergeWithLastSubmission: false,
      },
    );
  });
  return router;
}
