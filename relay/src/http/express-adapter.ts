/**
 * @fileoverview Mounts the route table on express 5: auth, body limits, and the one place where
 * errors become `{error:{code,message}}` JSON (RelayError → its code; body-parser's → body_too_large
 * / invalid_json / too_deep; anything else → internal, or redis_unavailable when Redis is the cause).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { ErrorBody } from '../../../protocol/src/index';
import { bearer, tokenVerifier, type Principal } from '../../../kit/user-token';
import { MAX_JSON_DEPTH, nestsDeeperThan, tooDeepMessage } from '../../../protocol/src/json-depth';
import { RedisUnavailableError, RelayError } from '../errors';
import { isRedisConnectionError } from '../store/redis';
import type { Config } from '../config';
import type { TokenRevocations } from '../../../kit/token-revocations';
import { health, type HealthContext } from './handlers/status';
import { routes, type RoutesContext } from './routes';

/** What the HTTP API needs: the routes' contexts, /health's, and what authentication and body limits read. */
export type HttpContext = RoutesContext &
  HealthContext & {
    config: Pick<Config, 'relaySecret' | 'adminToken' | 'maxBodyBytes'>;
    /** Users whose older tokens are refused (absent in tests that build the context by hand). */
    revocations?: Pick<TokenRevocations, 'refusal'>;
  };

function sendError(res: Response, error: RelayError): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  if (error.retryAfterS !== undefined) res.setHeader('Retry-After', String(error.retryAfterS));
  res.status(error.httpStatus).json(body);
}

export function createExpressApp(services: HttpContext, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const httpLog = logger.child({ mod: 'http' });
  // One line per finished request (5xx error, 4xx info, else debug), built only when its level is
  // on: no per-request child logger or serializer work on the admission path.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
      if (!httpLog.isLevelEnabled(level)) return;
      httpLog[level](
        {
          req: { method: req.method, url: req.originalUrl.split('?')[0] },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
    next();
  });

  const healthHandler = async (_req: Request, res: Response) => {
    const { status, body } = await health(services);
    res.status(status).json(body);
  };
  app.get('/health', healthHandler);
  app.get('/api/health', healthHandler);

  const verify = tokenVerifier(services.config.relaySecret, services.config.adminToken);
  const authenticate = (req: Request, res: Response, next: NextFunction) => {
    const token = bearer(req.headers.authorization);
    const principal = token ? verify(token) : undefined;
    if (!principal) {
      next(
        new RelayError(
          'unauthorized',
          token
            ? 'the relay token is not valid (check RELAY_SECRET and the user id)'
            : 'send Authorization: Bearer <token> (comfyume token <user> prints one)',
        ),
      );
      return;
    }
    const revoked = services.revocations?.refusal(principal);
    if (revoked) {
      next(new RelayError('unauthorized', revoked));
      return;
    }
    res.locals.principal = principal;
    next();
  };
  const limit = services.config.maxBodyBytes;
  const parsers = {
    json: express.json({
      limit,
      strict: true,
      type: () => true,
      // Before JSON.parse: a body nested too deep would overflow the stack when the job is stored.
      verify: (_req, _res, buf) => {
        if (nestsDeeperThan(buf, MAX_JSON_DEPTH))
          throw new RelayError('too_deep', tooDeepMessage(MAX_JSON_DEPTH));
      },
    }),
    raw: express.raw({ limit, type: () => true }),
    none: (_req: Request, _res: Response, next: NextFunction) => next(),
  };

  for (const route of routes) {
    app[route.method](
      route.path,
      (req, res, next) => authenticate(req, res, next),
      parsers[route.body],
      async (req: Request, res: Response) => {
        const result = await route.handler(
          {
            principal: res.locals.principal as Principal,
            params: req.params as Record<string, string>,
            query: req.query as Record<string, string | undefined>,
            body: route.body === 'none' ? undefined : req.body,
          },
          services,
        );
        if ('file' in result) {
          res.status(result.status);
          res.sendFile(result.file, {
            headers: result.headers,
            dotfiles: 'allow',
            acceptRanges: true,
            cacheControl: false,
          });
          return;
        }
        if (result.body === undefined) res.status(result.status).end();
        else res.status(result.status).json(result.body);
      },
    );
  }

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new RelayError('not_found', `${req.method} ${req.path} is not a relay endpoint`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large')
      return sendError(
        res,
        new RelayError(
          'body_too_large',
          `the request body is over ${Math.round(limit / 1024 / 1024)} MB (RELAY_MAX_BODY_MB)`,
        ),
      );
    if (type === 'entity.parse.failed')
      return sendError(
        res,
        new RelayError(
          'invalid_json',
          `the request body is not valid JSON: ${(error as Error).message}`,
        ),
      );
    if (error instanceof RelayError) return sendError(res, error);
    if (isRedisConnectionError(error)) return sendError(res, new RedisUnavailableError(error));
    httpLog.error(
      { err: error, req: { method: req.method, url: req.originalUrl.split('?')[0] } },
      'unhandled error',
    );
    sendError(
      res,
      new RelayError('internal', 'the relay failed unexpectedly; the error is in its log'),
    );
  });
  return app;
}
