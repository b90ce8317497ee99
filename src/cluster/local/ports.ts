/** Port assignment: the OS picks free ports, as a Mesos agent offers them from its range. */
import { createServer, type Server } from 'node:net';

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('listening socket has no TCP port');
  return address.port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Returns `count` distinct free ports. All sockets stay bound until every port is known, so
 * the OS cannot hand the same port out twice within one call.
 */
export async function allocatePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) servers.push(await listenOnFreePort());
    return servers.map(portOf);
  } finally {
    await Promise.all(servers.map(closeServer));
  }
}

/** Gives each requested port name one of the allocated numbers, in order. */
export function assignPorts(names: readonly string[], numbers: readonly number[]): Record<string, number> {
  const ports: Record<string, number> = {};
  names.forEach((name, index) => {
    const port = numbers[index];
    if (port === undefined) throw new Error(`no port allocated for ${name}`);
    ports[name] = port;
  });
  return ports;
}
