import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { loadConfig } from './config.js';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');

const config = await loadConfig();
createRoot(root).render(
  <StrictMode>
    <App config={config} />
  </StrictMode>,
);
