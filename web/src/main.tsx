import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { installDebugHandle } from './features/terminals/debugHandle';
import { onApiError } from './shared/api/client';
import { showToast } from './shared/ui/toasts';
import './styles.css';

installDebugHandle();
onApiError((error) => showToast({ kind: 'error', code: error.code, message: error.message, requestId: error.requestId }));

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
