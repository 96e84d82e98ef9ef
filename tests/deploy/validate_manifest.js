'use strict';
// Validate Teams app manifest and localization files against the official JSON schemas
// shipped inside @microsoft/app-manifest, offline.
//
//   node tests/deploy/validate_manifest.js FILE.json [FILE.json ...] > results.json
//
// Each file's "$schema" URL picks its schema (MicrosoftTeams.schema.json or
// MicrosoftTeams.Localization.schema.json of that version). The schema is read from the
// package's own json-schemas folder; a URL the package does not ship is an error, never a
// download (fetch is disabled in this process).
//
// stdout: one JSON object {"<file>": [error, ...], ...}; every error AJV reports (allErrors),
//         as the strings AppManifestUtils.validateAgainstSchema returns: "<path> <message>. Details: {...}".
// Exit 0 when every file was checked (with or without errors), 2 on bad input (unreadable
// file, invalid JSON, no $schema), 3 when the package or a schema is not available.
// Driven by tests/deploy/test_deploy_app_package.py; needs node_modules at the repo root
// (or NODE_PATH pointing at one).

const fs = require('fs');
const path = require('path');

// stdout carries only our JSON.
for (const name of ['log', 'info', 'warn', 'debug']) {
  console[name] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
}

// No network: a schema that is not in the package must fail loudly instead of being fetched.
globalThis.fetch = async (url) => {
  throw new Error(`network disabled in validate_manifest.js (asked for ${url})`);
};

function fail(code, message) {
  process.stderr.write(message + '\n');
  process.exit(code);
}

// @microsoft/app-manifest 1.1.2 requires "fs-extra" at load time but lists it only as a
// devDependency, so a plain `npm install` of the package leaves it out. The validator never
// touches it when given the schema (as below); if it is missing, stand in with the three
// functions the package uses, built on node's own fs.
(function provideFsExtraIfMissing() {
  try {
    require.resolve('fs-extra', { paths: [path.dirname(require.resolve('@microsoft/app-manifest'))] });
    return;
  } catch (_) {
    // not installed: fall through to the stand-in
  }
  const Module = require('module');
  const standIn = {
    pathExists: (p) => fs.promises.access(p).then(() => true, () => false),
    readFile: (...args) => fs.promises.readFile(...args),
    writeFile: (...args) => fs.promises.writeFile(...args),
  };
  const originalLoad = Module._load;
  Module._load = function load(request, parent, isMain) {
    if (request === 'fs-extra') return standIn;
    return originalLoad.call(this, request, parent, isMain);
  };
})();

let AppManifestUtils;
try {
  ({ AppManifestUtils } = require('@microsoft/app-manifest'));
} catch (err) {
  fail(3, `cannot load @microsoft/app-manifest (run "npm install" at the repo root): ${err && err.message}`);
}
if (!AppManifestUtils || typeof AppManifestUtils.validateAgainstSchema !== 'function') {
  fail(3, '@microsoft/app-manifest has no AppManifestUtils.validateAgainstSchema');
}

// Resolve a $schema URL to the file shipped in the package, the way the package itself does
// (it tries its own folder first), but refuse to go further.
function localSchemaPath(schemaUrl) {
  const suffix = AppManifestUtils.getLocalSchemaSuffix(schemaUrl);
  if (!suffix) return undefined;
  const packageRoot = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));
  const shipped = path.join(packageRoot, 'build', suffix);
  return fs.existsSync(shipped) ? shipped : undefined;
}

function readSchema(file) {
  // Same clean-up the package applies to the shipped schemas (\a and \v escapes).
  const raw = fs.readFileSync(file, 'utf8');
  return JSON.parse(raw.replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b'));
}

// The localization schemas' patternProperties hold regular expressions that are only valid
// without the `u` flag (e.g. "\\b]"), and AJV 8 compiles patterns with it, so
// validateAgainstSchema throws on them. Validate those files with the same AJV draft-04
// set-up the package uses (allErrors, the same formats), minus the unicode flag, and format
// the errors the same way.
function isLocalizationSchema(schemaFile) {
  return /\.Localization\.schema\.json$/.test(schemaFile);
}

function validateLocalization(doc, schema) {
  const Ajv = require(require.resolve('ajv-draft-04', { paths: [require.resolve('@microsoft/app-manifest')] }));
  const addFormats = require(require.resolve('ajv-formats', { paths: [require.resolve('@microsoft/app-manifest')] }));
  const ajv = new (Ajv.default || Ajv)({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  (addFormats.default || addFormats)(ajv, ['uri', 'email', 'regex']);
  const validate = ajv.compile(schema);
  if (validate(JSON.parse(JSON.stringify(doc)))) return [];
  return validate.errors.map(
    (error) => `${error.instancePath} ${error.message || ''}. Details: ${error.params ? JSON.stringify(error.params) : ''}`,
  );
}

async function main() {
  const files = process.argv.slice(2);
  if (files.length === 0) fail(2, 'usage: node validate_manifest.js FILE.json [FILE.json ...]');
  const results = {};
  for (const file of files) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      fail(2, `${file}: cannot read JSON: ${err.message}`);
    }
    const schemaUrl = doc && doc.$schema;
    if (typeof schemaUrl !== 'string' || !schemaUrl) fail(2, `${file}: no "$schema" property`);
    const schemaFile = localSchemaPath(schemaUrl);
    if (!schemaFile) fail(3, `${file}: schema ${schemaUrl} is not shipped in @microsoft/app-manifest`);
    const schema = readSchema(schemaFile);
    results[file] = isLocalizationSchema(schemaFile)
      ? validateLocalization(doc, schema)
      : await AppManifestUtils.validateAgainstSchema(doc, schema);
  }
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}

main().catch((err) => fail(3, `validation failed to run: ${err && err.stack ? err.stack : err}`));
