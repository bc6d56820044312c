// REST calls under /api/v1, with the credentials Rocket.Chat clients send (X-User-Id and
// X-Auth-Token) and its error envelope turned into exceptions.

/** @type {{ userId: string, token: string } | null} */
let credentials = null;

export function setCredentials(value) {
  credentials = value;
}

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} body the parsed envelope
   */
  constructor(status, body) {
    super(readableError(body) || `Request failed (${status})`);
    this.status = status;
    this.errorType = body?.errorType || (typeof body?.error === 'string' ? body.error : undefined);
    this.details = body?.details;
    this.body = body;
  }
}

/** The human part of Rocket.Chat's `error`: "Reason [code]" → "Reason". */
function readableError(body) {
  const text = body?.message || body?.error || body?.reason;
  if (typeof text !== 'string') return '';
  return text.replace(/\s*\[[^\]]+\]$/, '') || text;
}

function headers(extra = {}) {
  const h = { ...extra };
  if (credentials) {
    h['X-User-Id'] = credentials.userId;
    h['X-Auth-Token'] = credentials.token;
  }
  return h;
}

async function parse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok || body?.success === false) {
    if (response.status === 401 && credentials) window.dispatchEvent(new CustomEvent('ferrochat:unauthorized'));
    throw new ApiError(response.status, body);
  }
  return body;
}

/**
 * GET /api/v1/<path> with query parameters.
 * @param {string} path
 * @param {Record<string, any>} [query]
 */
export async function get(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    params.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const qs = params.toString();
  const response = await fetch(`/api/v1/${path}${qs ? `?${qs}` : ''}`, { headers: headers() });
  return parse(response);
}

/**
 * POST /api/v1/<path> with a JSON body.
 * @param {string} path
 * @param {any} [body]
 * @param {Record<string, string>} [extraHeaders]
 */
export async function post(path, body = {}, extraHeaders = {}) {
  const response = await fetch(`/api/v1/${path}`, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', ...extraHeaders }),
    body: JSON.stringify(body),
  });
  return parse(response);
}

/**
 * POST /api/v1/<path> with a multipart body.
 * @param {string} path
 * @param {FormData} form
 */
export async function postForm(path, form) {
  const response = await fetch(`/api/v1/${path}`, { method: 'POST', headers: headers(), body: form });
  return parse(response);
}

/**
 * Uploads a file to a room (`rooms.upload/<rid>`), reporting progress from 0 to 1.
 * XMLHttpRequest rather than fetch: only it reports upload progress.
 * @param {string} rid
 * @param {File} file
 * @param {{ msg?: string, tmid?: string }} fields
 * @param {(fraction: number) => void} onProgress
 * @returns {{ promise: Promise<any>, abort: () => void }}
 */
export function upload(rid, file, fields, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/v1/rooms.upload/${encodeURIComponent(rid)}`);
    for (const [k, v] of Object.entries(headers())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && body?.success !== false) resolve(body);
      else reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, { error: 'The upload failed: network error' }));
    xhr.onabort = () => reject(new ApiError(0, { error: 'Upload cancelled' }));
    const form = new FormData();
    form.append('file', file, file.name);
    if (fields.msg) form.append('msg', fields.msg);
    if (fields.tmid) form.append('tmid', fields.tmid);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
