import { useEffect, useMemo, useState } from 'preact/hooks';
import { LoginRefused, openSession, type ConsoleInfo, type Credentials, type Session } from './api.js';
import { DevicesView } from './DevicesView.js';
import { LiveNamespace } from './live.js';
import { Login } from './Login.js';
import { NamespaceView } from './NamespaceView.js';
import { TagDetail } from './TagDetail.js';
import { useLive } from './use-live.js';

type Tab = 'namespace' | 'devices';

/** Loads what the gateway serves, asks for a login when it must, then shows the live namespace. */
export function App(props: { info: Promise<ConsoleInfo> }) {
  const [info, setInfo] = useState<ConsoleInfo | undefined>(undefined);
  const [session, setSession] = useState<{ session: Session; credentials: Credentials | undefined } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const start = async (credentials: Credentials | undefined) => {
    try {
      setSession({ session: await openSession(credentials), credentials });
      setError(undefined);
    } catch (failure) {
      setError(failure instanceof LoginRefused ? failure.message : String(failure));
    }
  };
  useEffect(() => {
    props.info.then(
      (loaded) => {
        setInfo(loaded);
        if (!loaded.login) void start(undefined);
      },
      (failure: unknown) => setError(String(failure)),
    );
  }, []);
  if (info === undefined) return <p class="loading">{error ?? 'Loading…'}</p>;
  if (session === undefined) return info.login ? <Login error={error} onLogin={(credentials) => void start(credentials)} /> : <p class="loading">{error ?? 'Loading…'}</p>;
  return <Console info={info} session={session.session} credentials={session.credentials} />;
}

function Console(props: { info: ConsoleInfo; session: Session; credentials: Credentials | undefined }) {
  const { info, session } = props;
  const live = useMemo(() => new LiveNamespace(info, session, props.credentials), [info, session, props.credentials]);
  useEffect(() => () => live.close(), [live]);
  useLive(live);
  const [tab, setTab] = useState<Tab>('namespace');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const tag = session.tags.find((candidate) => candidate.topic === selected);
  return (
    <div class="console">
      <header>
        <h1>{info.id}</h1>
        <span class={`gateway ${live.gateway}`} data-testid="gateway-status">
          gateway {live.gateway}
        </span>
        <span class={live.connected ? 'ok' : 'error'}>{live.connected ? 'connected' : 'connecting…'}</span>
        <span class="muted">v{info.version}</span>
        <nav>
          <button type="button" class={tab === 'namespace' ? 'active' : ''} onClick={() => setTab('namespace')}>
            Namespace
          </button>
          <button type="button" class={tab === 'devices' ? 'active' : ''} onClick={() => setTab('devices')}>
            Devices
          </button>
        </nav>
        <span class="user" data-testid="user">
          {session.username ?? 'anonymous'}
          {session.roles.length > 0 ? ` (${session.roles.join(', ')})` : ''}
        </span>
      </header>
      {/* The tree stays mounted behind the devices page: its open levels, filter and scroll are kept. */}
      <main class="split" hidden={tab !== 'namespace'}>
        <NamespaceView live={live} tags={session.tags} selected={selected} onSelect={setSelected} />
        {tag === undefined ? <aside class="detail muted">Select a tag to see its mapping, its trend and, if you may, write it.</aside> : <TagDetail live={live} tag={tag} />}
      </main>
      {tab === 'devices' ? (
        <main>
          <DevicesView live={live} devices={session.devices} metrics={info.metrics} />
        </main>
      ) : null}
    </div>
  );
}
