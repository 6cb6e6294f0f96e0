/** @fileoverview The replica's route table: ComfyUI 0.27's paths (bare and /api), jobs only under /api, /internal only bare. */
import type { ReplicaContext } from '../context';
import { getHistory, getHistoryItem, postHistory } from './handlers/history';
import {
  getGlobalSubgraphs,
  getI18n,
  getNodeReplacements,
  getWorkflowTemplates,
} from './handlers/frontend';
import {
  getFeatures,
  getExtensions,
  getObjectInfo,
  getObjectInfoClass,
  getSetting,
  getSettings,
  getSystemStats,
  getUsers,
  postSetting,
  postSettings,
} from './handlers/info';
import {
  getEmbeddings,
  getExperimentModelFolder,
  getExperimentModels,
  getFolderPaths,
  getModelFolder,
  getModels,
} from './handlers/models';
import { internalFiles, uploadImage, view } from './handlers/files';
import { cancelJob, cancelJobs, getJob, listJobsHandler } from './handlers/jobs';
import { postPrompt } from './handlers/prompt';
import { getPromptInfo, getQueue, postFree, postInterrupt, postQueue } from './handlers/queue';
import {
  deleteUserdata,
  getUserdata,
  listUserdata,
  listUserdataV2,
  moveUserdata,
  postUserdata,
} from './handlers/userdata';
import { Router, type Ctx } from './http-kit';
import { type Reply } from '../../../kit/aiohttp-reply';

export function buildRouter(ctx: ReplicaContext): Router {
  const h = (fn: (c: ReplicaContext, http: Ctx) => Promise<Reply> | Reply) => (http: Ctx) =>
    fn(ctx, http);
  const router = new Router();
  router
    .both('POST', '/prompt', h(postPrompt))
    .both('GET', '/prompt', h(getPromptInfo))
    .both('GET', '/queue', h(getQueue))
    .both('POST', '/queue', h(postQueue))
    .both('GET', '/history', h(getHistory))
    .both('GET', '/history/{id}', h(getHistoryItem))
    .both('POST', '/history', h(postHistory))
    .both('POST', '/interrupt', h(postInterrupt))
    .both('POST', '/free', h(postFree))
    .both('GET', '/view', h(view))
    .both('POST', '/upload/image', h(uploadImage))
    .both('POST', '/upload/mask', h(uploadImage))
    .both('GET', '/object_info', h(getObjectInfo))
    .both('GET', '/object_info/{node_class}', h(getObjectInfoClass))
    .both('GET', '/system_stats', h(getSystemStats))
    .both('GET', '/features', h(getFeatures))
    .both('GET', '/extensions', h(getExtensions))
    .both('GET', '/embeddings', h(getEmbeddings))
    .both('GET', '/models', h(getModels))
    .both('GET', '/models/{folder}', h(getModelFolder))
    .both('GET', '/experiment/models', h(getExperimentModels))
    .both('GET', '/experiment/models/{folder}', h(getExperimentModelFolder))
    .both('GET', '/i18n', h(getI18n))
    .both('GET', '/workflow_templates', h(getWorkflowTemplates))
    .both('GET', '/global_subgraphs', h(getGlobalSubgraphs))
    .both('GET', '/node_replacements', h(getNodeReplacements))
    .both('GET', '/users', h(getUsers))
    .both('GET', '/settings', h(getSettings))
    .both('POST', '/settings', h(postSettings))
    .both('GET', '/settings/{id}', h(getSetting))
    .both('POST', '/settings/{id}', h(postSetting))
    .both('GET', '/userdata', h(listUserdata))
    .both('GET', '/v2/userdata', h(listUserdataV2))
    .both('GET', '/userdata/{file}', h(getUserdata))
    .both('POST', '/userdata/{file}', h(postUserdata))
    .both('DELETE', '/userdata/{file}', h(deleteUserdata))
    .both('POST', '/userdata/{file}/move/{dest}', h(moveUserdata))
    // Declared literally as /api/jobs… in ComfyUI, so they exist only with the prefix.
    .add('GET', '/api/jobs', h(listJobsHandler))
    .add('POST', '/api/jobs/cancel', h(cancelJobs))
    .add('GET', '/api/jobs/{id}', h(getJob))
    .add('POST', '/api/jobs/{id}/cancel', h(cancelJob))
    // An aiohttp sub-app: never under /api.
    .add('GET', '/internal/files/{type}', h(internalFiles))
    .add('GET', '/internal/folder_paths', h(getFolderPaths));
  return router;
}
