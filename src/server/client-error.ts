/**
 * Requests Node's HTTP parser rejects before any route sees them: headers over the size
 * limit (431), a request slower than the request timeout (408), anything that is not HTTP
 * (400). The answer is written, then the connection is closed gracefully: the rest of what
 * the client is still sending is read and dropped for a short while, because closing a
 * socket with unread data sends a reset, and a client that gets a reset while still
 * writing its headers never sees the 431 (fastify's default handler does exactly that).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { RefusalReason } from './overload.js';

/** How long, and how much more, a refused client may send before the socket is destroyed. */
export const LINGER_MS = 2_000;
export const LINGER_MAX_BYTES = 1024 * 1024;

interface ClientErrorAnswer {
  status: number;
  reason: RefusalReason;
  message: string;
}

export function clientErrorHandler(
  maxHeaderBytes: number,
  refused: (reason: RefusalReason, detail: string) => void,
): (error: Error & { code?: string }, socket: Socket) => void {
  /** Sockets already answered: the parser may report more errors on what they still send. */
  const answered = new WeakSet<Socket>();
  return (error, socket) => {
    // A reset connection has nothing left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const answer = answerFor(error.code, maxHeaderBytes);
    refused(answer.reason, `${answer.status} to ${socket.remoteAddress ?? 'unknown'}: ${answer.message}`);
    if (socket.writable) socket.write(responseText(answer));
    lingeringClose(socket);
  };
}

function answerFor(code: string | undefined, maxHeaderBytes: number): ClientErrorAnswer {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      reason: 'header_too_large',
      message: `request headers are larger than the limit of ${maxHeaderBytes} bytes`,
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, reason: 'request_timeout', message: 'the request took too long to arrive' };
  }
  return {
    status: 400,
    reason: 'malformed_request',
    message: `malformed HTTP request (${code ?? 'unknown'})`,
  };
}

function responseText({ status, message }: ClientErrorAnswer): string {
  const body = JSON.stringify({ error: message });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  );
}

function lingeringClose(socket: Socket): void {
  let received = 0;
  const destroy = () => socket.destroy();
  const timer = setTimeout(destroy, LINGER_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > LINGER_MAX_BYTES) destroy();
  });
  socket.end();
  socket.resume();
}
