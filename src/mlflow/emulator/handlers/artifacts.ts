import { LocalArtifactRepository, type FileInfo } from '../artifacts/local-repository.js';
import { guessMimeType } from '../artifacts/mime-type.js';
import {
  baseName,
  joinPath,
  splitPath,
  validatePathIsSafe,
  workspaceScopedPath,
} from '../artifacts/paths.js';
import { HtmlError, type ApiRequest, type ApiResponse } from '../http.js';
import { assert, pb, requestMessage } from '../request-message.js';
import type { Router } from '../router.js';
import type { TrackingStore } from '../tracking-store.js';

/**
 * The proxied artifact API of `mlflow server --artifacts-destination` (`/api/2.0/mlflow-artifacts/artifacts…`)
 * and the tracking-side listing `/api/2.0/mlflow/artifacts/list`, files under `artifactRoot`
 * (golden README, "Artifacts" 14; mlflow/server/handlers.py).
 */
export function artifactRoutes(
  router: Router,
  store: TrackingStore,
  options: { artifactRoot: string },
): void {
  const repo = new LocalArtifactRepository(options.artifactRoot);
  /** Every path goes through MLflow's safety check, then under the request's workspace. */
  const scoped = (req: ApiRequest, raw: string) =>
    workspaceScopedPath(validatePathIsSafe(raw), req.workspace)!;
  const a = '/2.0/mlflow-artifacts/artifacts';

  router
    .api('GET', a, async (req) => {
      const m = requestMessage(req, { path: pb.string });
      const requested = m.has('path') ? m.string('path') : undefined;
      const dir = workspaceScopedPath(
        requested === undefined ? undefined : validatePathIsSafe(requested),
        req.workspace,
      );
      // Entries are named by their base name here, unlike the tracking-side listing.
      const files = (await repo.list(dir)).map((info) => fileJson(info, baseName(info.path)));
      return { json: files.length > 0 ? { files } : {} };
    })
    .apiPrefix('GET', a, async (req) => {
      const artifactPath = scoped(req, req.tail);
      return {
        body: await repo.read(artifactPath),
        contentType: guessMimeType(artifactPath),
        // Flask's send_file(as_attachment=True), and MLflow's nosniff on artifact downloads.
        headers: {
          'Content-Disposition': contentDisposition(baseName(artifactPath)),
          'X-Content-Type-Options': 'nosniff',
        },
      };
    })
    .apiPrefix('PUT', a, async (req) => {
      const [dir, name] = splitPath(scoped(req, req.tail));
      // Python opens "<tmp>/" or "<tmp>/." for writing: IsADirectoryError, Flask's 500 page.
      if (name === '' || name === '.') throw new HtmlError(500);
      // The core keeps at most its body limit; never store a cut-off upload as if it were whole.
      const declared = Number(req.raw.headers['content-length'] ?? req.body.length);
      if (declared !== req.body.length) throw new HtmlError(500);
      await repo.write(dir || undefined, name, req.body);
      return { json: {} };
    })
    .apiPrefix('DELETE', a, async (req) => {
      // DeleteArtifact has no fields and Flask reads a DELETE body leniently: the body is ignored.
      await repo.delete(scoped(req, req.tail));
      return { json: {} };
    })
    .api('GET', '/2.0/mlflow/artifacts/list', (req) => listRunArtifacts(req, store, repo));
}

/**
 * `ListArtifacts` of the tracking API: the run's artifacts under its `mlflow-artifacts:` root, named relative
 * to that root (`dir/file`), with `root_uri` first as the proto orders it.
 */
async function listRunArtifacts(
  req: ApiRequest,
  store: TrackingStore,
  repo: LocalArtifactRepository,
): Promise<ApiResponse> {
  const m = requestMessage(
    req,
    { run_id: pb.string, run_uuid: pb.string, path: pb.string },
    { run_id: [assert.required, assert.string] },
  );
  const runId = m.string('run_id') || m.string('run_uuid');
  const requested = m.has('path') ? m.string('path') : undefined;
  const relative = requested === undefined ? undefined : validatePathIsSafe(requested);
  const run = store.getRun(req.workspace, runId);
  const rootPath = proxiedRootPath(run.artifactUri);
  // A run stored elsewhere (an experiment created with its own artifact_location) is not served by this
  // server's artifact root; the emulator lists nothing for it rather than the host's filesystem.
  if (rootPath === undefined) return { json: { root_uri: run.artifactUri } };
  const dir = workspaceScopedPath(
    relative === undefined ? rootPath : joinPath(rootPath, relative),
    req.workspace,
  );
  const files = (await repo.list(dir)).map((info) =>
    fileJson(info, relative ? joinPath(relative, baseName(info.path)) : baseName(info.path)),
  );
  return { json: { root_uri: run.artifactUri, ...(files.length > 0 && { files }) } };
}

/**
 * `_get_proxied_run_artifact_destination_path`: the path of an `mlflow-artifacts:` URI, or what follows
 * `/api/2.0/mlflow-artifacts/artifacts/` in an http(s) one; undefined for any other scheme.
 */
function proxiedRootPath(uri: string): string | undefined {
  const match = /^(mlflow-artifacts|https?):(?:\/\/[^/?#]*)?([^?#]*)/i.exec(uri);
  if (!match) return undefined;
  const uriPath = match[2]!;
  if (match[1]!.toLowerCase() === 'mlflow-artifacts') return uriPath.replace(/^\/+/, '');
  const anchor = '/api/2.0/mlflow-artifacts/artifacts/';
  // The server asserts the anchor is there: an AssertionError, Flask's 500 page.
  if (!uriPath.includes(anchor)) throw new HtmlError(500);
  return uriPath.split(anchor)[1]!.replace(/^\/+/, '');
}

/** FileInfo as proto JSON: `file_size` only for files. */
const fileJson = (info: FileInfo, path: string) => ({
  path,
  is_dir: info.isDir,
  ...(info.size !== undefined && { file_size: info.size }),
});

/**
 * Werkzeug's attachment header: a bare token name as is, other ASCII names quoted, and non-ASCII names as an
 * ASCII fallback plus RFC 5987's `filename*` (a raw UTF-8 name is not a valid header value).
 */
export function contentDisposition(name: string): string {
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `attachment; filename=${name}`;
  const quoted = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (/^[\x20-\x7e]*$/.test(name)) return `attachment; filename=${quoted(name)}`;
  const fallback = name.normalize('NFKD').replace(/[^\x20-\x7e]/g, '');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename=${quoted(fallback)}; filename*=UTF-8''${encoded}`;
}
