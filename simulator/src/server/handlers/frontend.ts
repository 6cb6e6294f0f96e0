/**
 * @fileoverview Routes the stock frontend calls at start-up that carry custom-node content, answered as
 * a ComfyUI 0.27 without custom nodes does: `/i18n` (custom_node_manager.py `build_translations`),
 * `/workflow_templates`, `/global_subgraphs` (subgraph blueprints: none, so the frontend never asks
 * for one by id) and `/node_replacements` (fetched because the WS `feature_flags` reply advertises
 * `node_replacements: true`).
 */
import { json, type Reply } from '../../../../kit/aiohttp-reply';

export const getI18n = (): Reply => json({});
export const getWorkflowTemplates = (): Reply => json({});
export const getGlobalSubgraphs = (): Reply => json({});
export const getNodeReplacements = (): Reply => json({});
