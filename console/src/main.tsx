import { render } from 'preact';
import { fetchInfo } from './api.js';

// The gateway is asked what to connect to while the larger modules (MQTT.js, the app) load and run.
const info = fetchInfo();
const { App } = await import('./App.js');
const root = document.getElementById('app');
if (root !== null) render(<App info={info} />, root);
