// Entry: mounts the console. Everything else is in app.tsx and the pages it routes to.
import './zod-jitless.js';
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
render(<App />, root);
