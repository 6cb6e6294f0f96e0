/** @fileoverview Entry of the operator dashboard (built by admin-ui/vite.config.ts). */
import './components/admin-app';
