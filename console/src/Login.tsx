import { useState } from 'preact/hooks';
import type { Credentials } from './api.js';

/** Asks for a user name and password when the gateway's WebSocket listener refuses anonymous clients. */
export function Login(props: { error: string | undefined; onLogin: (credentials: Credentials) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      class="login"
      onSubmit={(event) => {
        event.preventDefault();
        props.onLogin({ username, password });
      }}
    >
      <h2>Log in to the gateway</h2>
      <label>
        User <input name="username" autocomplete="username" value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
      </label>
      <label>
        Password <input name="password" type="password" autocomplete="current-password" value={password} onInput={(event) => setPassword(event.currentTarget.value)} />
      </label>
      {props.error === undefined ? null : <p class="error" data-testid="login-error">{props.error}</p>}
      <button type="submit">Log in</button>
    </form>
  );
}
