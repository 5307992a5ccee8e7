// Bundles the EPS request schemas the prescriptions service checks at the door into one JSON file,
// so the service reads them without a YAML parser at run time. Every `$ref` (to another file of
// spec/nhs/eps, or inside one) is inlined and annotations are dropped; nothing else changes. Run after updating spec/nhs/eps:
//   node scripts/bundle-eps-schemas.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../spec/nhs/eps');
const documents = new Map();
const load = (file) => {
  if (!documents.has(file)) documents.set(file, parse(readFileSync(file, 'utf8')));
  return documents.get(file);
};
const at = (doc, pointer) => pointer.split('/').filter(Boolean)
  .reduce((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);

// Annotations only (some spec files give them as objects, which JSON Schema refuses); a property
// *named* description is kept.
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'summary']);

function inline(node, file, seen, inProperties = false) {
  if (Array.isArray(node)) return node.map((item) => inline(item, file, seen));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') {
    const [path, pointer = ''] = node.$ref.split('#');
    const target = path ? resolve(dirname(file), path) : file;
    const key = `${target}#${pointer}`;
    if (seen.includes(key)) throw new Error(`circular $ref ${key}`);
    return inline(at(load(target), pointer), target, [...seen, key]);
  }
  return Object.fromEntries(Object.entries(node)
    .filter(([k]) => inProperties || !ANNOTATIONS.has(k))
    .map(([k, v]) => [k, inline(v, file, seen, k === 'properties')]));
}

const prescribing = join(ROOT, 'fhir-prescribing.yaml');
const dispensing = join(ROOT, 'fhir-dispensing.yaml');
const ref = (file, $ref) => inline({ $ref }, file, []);
const bundled = {
  prepare: ref(prescribing, '#/components/schemas/Encode-Request-Bundle'),
  prescriptionOrder: ref(prescribing, '#/components/schemas/Create-Request-Bundle'),
  prescriptionOrderUpdate: ref(prescribing, '#/components/schemas/Cancel-Request-Bundle'),
  cancelResponse: ref(prescribing, '#/components/schemas/Cancel-Response-Bundle'),
  parametersResponse: ref(prescribing, '#/components/schemas/parameters-response'),
  operationOutcome: ref(prescribing, '#/components/schemas/operation-outcome'),
  release: ref(dispensing, 'schemas/requests/dispensing/Release.yaml#/components/schemas/Release'),
  releaseResponse: ref(dispensing, 'schemas/responses/dispensing/Release.yaml'),
  dispenseNotification: ref(dispensing, 'schemas/requests/dispensing/DispenseNotification.yaml'),
  return: ref(dispensing, 'schemas/requests/dispensing/Return.yaml'),
  withdraw: ref(dispensing, 'schemas/requests/dispensing/Withdraw.yaml'),
  claim: ref(dispensing, 'schemas/requests/dispensing/DispenseClaim.yaml'),
};
writeFileSync(join(ROOT, 'schemas.bundled.json'), `${JSON.stringify(bundled, null, 1)}\n`);
console.log(`wrote ${join(ROOT, 'schemas.bundled.json')}`);
