import type { FastifyReply } from 'fastify';

/** Every error the API answers has this JSON shape, whichever layer produced it. */
export interface ErrorBody {
  error: string;
  statusCode: number;
}

export function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  const body: ErrorBody = { error, statusCode: status };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
