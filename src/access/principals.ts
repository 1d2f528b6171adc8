import type { Principal } from './principal.ts';

interface Connection {
  readonly id: string;
}

/**
 * The principal of each connected client. A principal decided at CONNECT takes effect only once the
 * client is registered, after the broker has closed an older connection with the same client id, so that
 * the old connection never acts with the new one's rights.
 */
export class Principals {
  private readonly pending = new WeakMap<Connection, Principal>();
  private readonly byClientId = new Map<string, Principal>();

  /** The principal `connection` authenticated as; active once `activate` runs. */
  grant(connection: Connection, principal: Principal): void {
    this.pending.set(connection, principal);
  }

  /** The connection is registered under its client id. */
  activate(connection: Connection): void {
    const principal = this.pending.get(connection);
    if (principal === undefined) this.byClientId.delete(connection.id);
    else this.byClientId.set(connection.id, principal);
  }

  /** The connection is gone; a newer one with the same client id keeps its own principal. */
  release(connection: Connection): void {
    const principal = this.pending.get(connection);
    if (principal !== undefined && this.byClientId.get(connection.id) === principal) this.byClientId.delete(connection.id);
  }

  /** The principal of an authenticated connection, registered or not yet. */
  of(connection: Connection): Principal | undefined {
    return this.pending.get(connection);
  }

  /** The principal of the registered connection using `clientId`. */
  byId(clientId: string | undefined): Principal | undefined {
    return clientId === undefined ? undefined : this.byClientId.get(clientId);
  }
}
