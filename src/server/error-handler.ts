import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clip } from './content-type.js';
import { DependencyError, describe, HttpError } from './http-error.js';
import { recordOutcome } from './outcome.js';

interface ErrorReply {
  status: number;
  message: string;
  /** Logged for the operator; the client never sees it (nor a stack). */
  logLine?: string;
}

/** Every error, ours or fastify's, becomes `{ error }` JSON: clients never see fastify's own shape or a stack. */
export function installErrorHandlers(
  app: FastifyInstance,
  log: (line: string) => void,
  bodyLimit: number,
): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { status, message, logLine } = toErrorReply(error, request, bodyLimit);
    if (logLine !== undefined) log(logLine);
    // The rest of an oversized body is not wanted: closing stops the sender's upload.
    if (status === 413) void reply.header('connection', 'close');
    if (error instanceof HttpError) void reply.headers(error.headers);
    recordOutcome(request, message);
    return reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `not found: ${request.method} ${clip(request.url)}` }),
  );
}

function toErrorReply(error: FastifyError, request: FastifyRequest, bodyLimit: number): ErrorReply {
  if (error instanceof HttpError) return { status: error.statusCode, message: error.message };
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, message: `request body is larger than the limit of ${formatBytes(bodyLimit)}` };
  }
  if (error instanceof DependencyError) {
    return {
      status: 500,
      message: `${error.operation} failed: internal error (details in the daemon log)`,
      logLine: `error ${request.method} ${clip(request.url)}: ${error.message}`,
    };
  }
  // fastify's own client errors (a Content-Length that does not match the body, …) say what is wrong.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, message: error.message };
  return {
    status: 500,
    message: 'internal error (details in the daemon log)',
    logLine: `error ${request.method} ${clip(request.url)}: ${describe(error)}`,
  };
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB (${bytes} bytes)` : `${bytes} bytes`;
}
