/** @fileoverview Entry of the operator dashboard (built by relay/src/admin/vite.config.ts). */
import './components/admin-app';
