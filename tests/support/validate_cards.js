'use strict';
// Validate Adaptive Cards with the official `adaptivecards` SDK, in Node, without a browser.
//
//   node validate_cards.js [path/to/adaptivecards.js] < cards.json > results.json
//
// stdin:  a JSON array of cards.
// stdout: a JSON array, one entry per card, in order; each entry is a list of
//         {phase, event, message, type, id, paths} where `paths` lists the JSON paths
//         (arrays of keys and indexes) of the card objects the event is about (may be empty).
// Exit 0 when the cards were checked (whether or not they have problems), 2 on bad input,
// 3 when the SDK cannot be loaded. Driven by tests/support/card_validation.py.

const fs = require('fs');

// stdout carries only our JSON: send anything the SDK prints to stderr.
for (const name of ['log', 'info', 'warn', 'debug', 'error']) {
  console[name] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
}

const sdkPath = process.argv[2] || 'adaptivecards/dist/adaptivecards.js';
let AC;
try {
  AC = require(sdkPath);
} catch (err) {
  process.stderr.write(`cannot load the adaptivecards SDK from ${sdkPath}: ${err && err.message}\n`);
  process.exit(3);
}

// Teams renders Adaptive Cards up to 1.5.
const MAX_VERSION = AC.Versions.v1_5;

function indexJson(node, path, pathsByObject, pathsByType) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => indexJson(item, path.concat([i]), pathsByObject, pathsByType));
  } else if (node !== null && typeof node === 'object') {
    pathsByObject.set(node, path);
    if (typeof node.type === 'string') {
      if (!pathsByType.has(node.type)) pathsByType.set(node.type, []);
      pathsByType.get(node.type).push(path);
    }
    for (const [key, value] of Object.entries(node)) {
      indexJson(value, path.concat([key]), pathsByObject, pathsByType);
    }
  }
}

function contextVersion(json) {
  if (typeof json.version === 'string') {
    const version = AC.Version.parse(json.version, new AC.SerializationContext());
    if (version && version.isValid) return version;
  }
  // Missing or malformed versions are reported by the Python side; check as 1.5.
  return MAX_VERSION;
}

function describe(source) {
  if (!source) return { type: null, id: null };
  let type = null;
  try {
    type = typeof source.getJsonTypeName === 'function' ? source.getJsonTypeName() : null;
  } catch (_) {
    type = null;
  }
  return { type, id: typeof source.id === 'string' ? source.id : null };
}

function validateCard(json) {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return [{ phase: 'Parse', event: 'Other', message: 'card is not a JSON object', type: null, id: null, paths: [[]] }];
  }
  const pathsByObject = new Map();
  const pathsByType = new Map();
  indexJson(json, [], pathsByObject, pathsByType);

  const sourceOf = new Map();
  const card = new AC.AdaptiveCard();
  card.maxVersion = MAX_VERSION;
  sourceOf.set(card, json);

  const context = new AC.SerializationContext(contextVersion(json));
  context.onParseElement = (element, source) => sourceOf.set(element, source);
  context.onParseAction = (action, source) => sourceOf.set(action, source);
  card.parse(json, context);

  const raw = [];
  for (let i = 0; i < context.eventCount; i++) raw.push(context.getEventAt(i));
  for (const event of card.validateProperties().validationEvents) raw.push(event);

  return raw.map((event) => {
    const { type, id } = describe(event.source);
    let paths = [];
    // Climb to the nearest object whose JSON we know (cards inside Action.ShowCard are
    // not reported through onParseElement).
    for (let o = event.source; o; o = o.parent) {
      const src = sourceOf.get(o);
      if (src !== undefined && pathsByObject.has(src)) {
        paths = [pathsByObject.get(src)];
        break;
      }
    }
    if (paths.length === 0) {
      // Unknown element/action types come without a source: find them by type name.
      const m = /type "([^"]*)"/.exec(event.message || '');
      if (m && pathsByType.has(m[1])) paths = pathsByType.get(m[1]);
    }
    return {
      phase: AC.ValidationPhase[event.phase],
      event: AC.ValidationEvent[event.event],
      message: String(event.message),
      type,
      id,
      paths,
    };
  });
}

function main() {
  let cards;
  try {
    cards = JSON.parse(fs.readFileSync(0, 'utf8'));
  } catch (err) {
    process.stderr.write(`stdin is not JSON: ${err && err.message}\n`);
    process.exit(2);
  }
  if (!Array.isArray(cards)) {
    process.stderr.write('stdin must be a JSON array of cards\n');
    process.exit(2);
  }
  const results = cards.map((json) => {
    try {
      return validateCard(json);
    } catch (err) {
      const message = `the SDK threw while checking the card: ${err && err.stack ? err.stack : err}`;
      return [{ phase: 'Parse', event: 'Exception', message, type: null, id: null, paths: [] }];
    }
  });
  process.stdout.write(JSON.stringify(results));
}

main();
