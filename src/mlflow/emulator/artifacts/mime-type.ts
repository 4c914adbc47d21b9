import { splitExt } from './paths.js';

/**
 * The Content-Type of a downloaded artifact, from its name alone, as MLflow's `_guess_mime_type`
 * (mlflow/utils/mime_type_utils.py) chooses it: `text/plain` for its text extensions (so `.json` is text/plain,
 * as the golden corpus shows), else Python's `mimetypes.guess_type`, else `application/octet-stream`.
 */
export function guessMimeType(artifactPath: string): string {
  const name =
    artifactPath
      .split('/')
      .filter((part) => part !== '' && part !== '.')
      .at(-1) ?? '';
  const extension = splitExt(name)[1].replaceAll('.', '') || name;
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain';
  return guessType(name) ?? 'application/octet-stream';
}

const TEXT_EXTENSIONS = new Set(
  'txt log err cfg conf cnf cf ini properties prop hocon toml yaml yml xml json js py py3 csv tsv md rst MLmodel MLproject'.split(
    ' ',
  ),
);

/** Python's `guess_type` (3.11, strict): compression suffixes expand, an encoding suffix is skipped. */
function guessType(name: string): string | undefined {
  const scheme = /^([^/:]+):(.*)$/s.exec(name);
  if (scheme?.[1]!.toLowerCase() === 'data') return dataUrlType(scheme[2]!);
  let [base, ext] = splitExt(scheme ? scheme[2]! : name);
  for (let expanded = SUFFIXES.get(ext); expanded; expanded = SUFFIXES.get(ext)) {
    [base, ext] = splitExt(base + expanded);
  }
  if (ENCODINGS.has(ext)) ext = splitExt(base)[1];
  return TYPES.get(ext) ?? TYPES.get(ext.toLowerCase());
}

function dataUrlType(url: string): string | undefined {
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const semi = url.slice(0, comma).indexOf(';');
  const type = url.slice(0, semi >= 0 ? semi : comma);
  return type.includes('=') || !type.includes('/') ? 'text/plain' : type.toLowerCase();
}

const SUFFIXES = new Map([
  ['.svgz', '.svg.gz'],
  ['.tgz', '.tar.gz'],
  ['.taz', '.tar.gz'],
  ['.tz', '.tar.gz'],
  ['.tbz2', '.tar.bz2'],
  ['.txz', '.tar.xz'],
]);

const ENCODINGS = new Set(['.gz', '.Z', '.bz2', '.xz', '.br']);

/** `mimetypes._types_map_default` of Python 3.11, by type. */
const TYPES_BY_MIME: Record<string, string> = {
  'application/javascript': 'js mjs',
  'application/json': 'json',
  'application/manifest+json': 'webmanifest',
  'application/msword': 'doc dot wiz',
  'application/n-quads': 'nq',
  'application/n-triples': 'nt',
  'application/octet-stream': 'bin a dll exe o obj so',
  'application/oda': 'oda',
  'application/pdf': 'pdf',
  'application/pkcs7-mime': 'p7c',
  'application/postscript': 'ps ai eps',
  'application/trig': 'trig',
  'application/vnd.apple.mpegurl': 'm3u m3u8',
  'application/vnd.ms-excel': 'xls xlb',
  'application/vnd.ms-powerpoint': 'ppt pot ppa pps pwz',
  'application/wasm': 'wasm',
  'application/x-bcpio': 'bcpio',
  'application/x-cpio': 'cpio',
  'application/x-csh': 'csh',
  'application/x-dvi': 'dvi',
  'application/x-gtar': 'gtar',
  'application/x-hdf': 'hdf',
  'application/x-hdf5': 'h5',
  'application/x-latex': 'latex',
  'application/x-mif': 'mif',
  'application/x-netcdf': 'cdf nc',
  'application/x-pkcs12': 'p12 pfx',
  'application/x-pn-realaudio': 'ram',
  'application/x-python-code': 'pyc pyo',
  'application/x-sh': 'sh',
  'application/x-shar': 'shar',
  'application/x-shockwave-flash': 'swf',
  'application/x-sv4cpio': 'sv4cpio',
  'application/x-sv4crc': 'sv4crc',
  'application/x-tar': 'tar',
  'application/x-tcl': 'tcl',
  'application/x-tex': 'tex',
  'application/x-texinfo': 'texi texinfo',
  'application/x-troff': 'roff t tr',
  'application/x-troff-man': 'man',
  'application/x-troff-me': 'me',
  'application/x-troff-ms': 'ms',
  'application/x-ustar': 'ustar',
  'application/x-wais-source': 'src',
  'application/xml': 'xsl rdf wsdl xpdl',
  'application/zip': 'zip',
  'audio/3gpp': '3gp 3gpp',
  'audio/3gpp2': '3g2 3gpp2',
  'audio/aac': 'aac adts loas ass',
  'audio/basic': 'au snd',
  'audio/mpeg': 'mp3 mp2',
  'audio/opus': 'opus',
  'audio/x-aiff': 'aif aifc aiff',
  'audio/x-pn-realaudio': 'ra',
  'audio/x-wav': 'wav',
  'image/avif': 'avif',
  'image/bmp': 'bmp',
  'image/gif': 'gif',
  'image/ief': 'ief',
  'image/jpeg': 'jpg jpe jpeg',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/tiff': 'tiff tif',
  'image/vnd.microsoft.icon': 'ico',
  'image/x-cmu-raster': 'ras',
  'image/x-portable-anymap': 'pnm',
  'image/x-portable-bitmap': 'pbm',
  'image/x-portable-graymap': 'pgm',
  'image/x-portable-pixmap': 'ppm',
  'image/x-rgb': 'rgb',
  'image/x-xbitmap': 'xbm',
  'image/x-xpixmap': 'xpm',
  'image/x-xwindowdump': 'xwd',
  'message/rfc822': 'eml mht mhtml nws',
  'text/css': 'css',
  'text/csv': 'csv',
  'text/html': 'html htm',
  'text/n3': 'n3',
  'text/plain': 'txt bat c h ksh pl srt',
  'text/richtext': 'rtx',
  'text/tab-separated-values': 'tsv',
  'text/vtt': 'vtt',
  'text/x-python': 'py',
  'text/x-setext': 'etx',
  'text/x-sgml': 'sgm sgml',
  'text/x-vcard': 'vcf',
  'text/xml': 'xml',
  'video/mp4': 'mp4',
  'video/mpeg': 'mpeg m1v mpa mpe mpg',
  'video/quicktime': 'mov qt',
  'video/webm': 'webm',
  'video/x-msvideo': 'avi',
  'video/x-sgi-movie': 'movie',
};

const TYPES = new Map(
  Object.entries(TYPES_BY_MIME).flatMap(([type, extensions]) =>
    extensions.split(' ').map((e) => [`.${e}`, type]),
  ),
);
