/**
 * @module LISTEN on a PostgreSQL channel over a connection of its own, reconnecting after
 * the server or the network drops it. A notification only says "look now": whoever listens
 * must still find its work by polling, for what was notified while it was reconnecting.
 */
import pg from 'pg';

export interface Listener {
  close(): Promise<void>;
}

/** Between a dropped listening connection and the next try. */
const RECONNECT_MS = 1000;

export function listenForNotifications(
  url: string,
  channel: string,
  onNotify: () => void,
  onError: (error: unknown) => void,
): Listener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) {
    throw new Error(`channel must be a plain lower-case identifier, got "${channel}"`);
  }
  let closed = false;
  let client: pg.Client | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const reconnectLater = (error: unknown) => {
    if (closed) return;
    onError(error);
    const dropped = client;
    client = undefined;
    dropped?.removeAllListeners();
    dropped?.on('error', () => undefined);
    void dropped?.end().catch(() => undefined);
    retry ??= setTimeout(() => {
      retry = undefined;
      void connect();
    }, RECONNECT_MS);
  };

  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({ connectionString: url });
    client = next;
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify();
    });
    next.on('error', reconnectLater);
    next.on('end', () => reconnectLater(new Error(`the connection listening on ${channel} ended`)));
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      // Whatever was notified while no connection listened is found now.
      onNotify();
    } catch (error) {
      reconnectLater(error);
    }
  };

  void connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      const last = client;
      client = undefined;
      last?.removeAllListeners();
      last?.on('error', () => undefined);
      await last?.end().catch(() => undefined);
    },
  };
}
